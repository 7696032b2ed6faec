//! Crypto-shredding for the audit trail. The trail is append-only, yet a
//! former member must be anonymised after the retention period. So the
//! personal values an audit entry records (old and new name, address, ...)
//! are sealed with a key of that member's own; anonymisation destroys the
//! key, and the values in the trail can never be read again, while the
//! entries themselves (who changed which field when) stay.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::RepoError;
use crate::entities::member_key::{self, Entity as MemberKeys};

pub type MemberKey = [u8; 32];

/// The member's key, or `None` once it was destroyed.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
) -> Result<Option<MemberKey>, RepoError> {
    let Some(row) = MemberKeys::find_by_id(member_id).one(db).await? else {
        return Ok(None);
    };
    let bytes: Vec<u8> = (0..row.key.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(row.key.get(i..i + 2)?, 16).ok())
        .collect();
    let key: MemberKey = bytes
        .try_into()
        .map_err(|_| RepoError::Corrupt(format!("member key {member_id}")))?;
    Ok(Some(key))
}

/// The member's key, created on first use.
pub async fn get_or_create<C: ConnectionTrait>(
    db: &C,
    member_id: Uuid,
) -> Result<MemberKey, RepoError> {
    if let Some(key) = find(db, member_id).await? {
        return Ok(key);
    }
    let key: MemberKey = rand::random();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    MemberKeys::insert(member_key::ActiveModel {
        member_id: Set(member_id),
        key: Set(hex),
    })
    .exec_without_returning(db)
    .await?;
    Ok(key)
}

pub async fn destroy<C: ConnectionTrait>(db: &C, member_id: Uuid) -> Result<(), RepoError> {
    MemberKeys::delete_by_id(member_id).exec(db).await?;
    Ok(())
}

/// Seals a value: `{"sealed": base64(nonce ‖ ciphertext)}`.
pub fn seal(key: &MemberKey, value: &Value) -> Result<Value, RepoError> {
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let nonce: [u8; 12] = rand::random();
    let plaintext = serde_json::to_vec(value).map_err(|e| RepoError::Corrupt(e.to_string()))?;
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), plaintext.as_slice())
        .map_err(|_| RepoError::Corrupt("sealing failed".into()))?;
    let mut sealed = nonce.to_vec();
    sealed.extend(ciphertext);
    Ok(json!({ "sealed": STANDARD.encode(sealed) }))
}

/// Opens a sealed value; without the key (anonymised) or for a value that
/// was never sealed, answers `{"anonymised": true}` or the value itself.
pub fn open(key: Option<&MemberKey>, value: &Value) -> Value {
    let Some(sealed) = value.get("sealed").and_then(Value::as_str) else {
        return value.clone();
    };
    let opened = key.and_then(|key| {
        let bytes = STANDARD.decode(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(12)?;
        let cipher = ChaCha20Poly1305::new(&Key::from(*key));
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plaintext = cipher.decrypt(&Nonce::from(nonce), ciphertext).ok()?;
        serde_json::from_slice(&plaintext).ok()
    });
    opened.unwrap_or_else(|| json!({ "anonymised": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_only() {
        let key: MemberKey = rand::random();
        let other: MemberKey = rand::random();
        let value = json!({ "last_name": "Müller" });
        let sealed = seal(&key, &value).unwrap_or_default();
        assert!(!sealed.to_string().contains("Müller"));
        assert_eq!(open(Some(&key), &sealed), value);
        assert_eq!(open(Some(&other), &sealed), json!({ "anonymised": true }));
        assert_eq!(open(None, &sealed), json!({ "anonymised": true }));
        assert_eq!(open(None, &json!("plain")), json!("plain"));
    }
}
