use std::sync::Arc;

use kartei_app::App;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Mailer;

/// What every request handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The use cases, which every route calls.
    pub app: App,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: PasswordHasher,
    pub clock: Clock,
    pub metrics: PrometheusHandle,
    pub mailer: Mailer,
}
