//! A browser as far as HTTP goes: it keeps the cookies the server sets and
//! does not follow redirects, so a test sees every answer. The tests in a
//! real Chromium drive the pages themselves.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::{Reply, TestApp};

pub struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// The `Set-Cookie` lines of the last answer.
    pub set_cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.http.get(self.app.url(path));
        self.send(request).await
    }

    /// A GET as htmx sends it, asking for a part of the page.
    pub async fn get_fragment(&mut self, path: &str) -> Reply {
        let request = self
            .http
            .get(self.app.url(path))
            .header("HX-Request", "true");
        self.send(request).await
    }

    /// Posts a form with a file, as `enctype="multipart/form-data"` does.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
    ) -> Reply {
        let (field, name, bytes) = file;
        let mut form = reqwest::multipart::Form::new();
        for (key, value) in fields {
            form = form.text(key.to_string(), value.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("text/csv")
            .expect("a mime type");
        form = form.part(field.to_owned(), part);
        let request = self.http.post(self.app.url(path)).multipart(form);
        self.send(request).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let request = self.http.post(self.app.url(path)).form(fields);
        self.send(request).await
    }

    /// Posts fields as a test collected them from a served form.
    pub async fn post_fields(&mut self, path: &str, fields: &[(String, String)]) -> Reply {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.post_form(path, &pairs).await
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Reply {
        if !self.cookies.is_empty() {
            let header: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.header(COOKIE, header.join("; "));
        }
        let reply = self.app.send(request).await;
        self.set_cookies = reply
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for line in &self.set_cookies {
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let removed = value.is_empty() || line.to_ascii_lowercase().contains("max-age=0");
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        reply
    }

    /// The `Set-Cookie` line of `name` in the last answer.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|line| line.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }

    /// Signs in with the sign-in form, as a person would.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let form = self.get("/anmelden").await;
        let csrf = hidden_field(&form.text, "csrf").expect("the form carries a token");
        self.post_form(
            "/anmelden",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// A browser signed in with the sign-in form.
pub async fn signed_in<'a>(app: &'a TestApp, email: &str, password: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let reply = browser.sign_in(email, password).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    browser
}

/// Where a redirect points.
pub fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The value of the hidden input `name` in `html`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The value of the input `name` in `html`, whatever its other attributes.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let start = html.find(&marker)? + marker.len();
    let tag = &html[start..start + html[start..].find('>')?];
    let value = tag.find("value=\"")? + "value=\"".len();
    let end = tag[value..].find('"')?;
    Some(tag[value..value + end].to_owned())
}
