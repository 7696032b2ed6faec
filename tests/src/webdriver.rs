//! A real Chromium, headless, driven through chromedriver: the few
//! WebDriver commands the page tests need (open a page, find, type, click,
//! read, run a script, take a screenshot), spoken as JSON over HTTP with
//! the reqwest client the tests have anyway, and axe-core's check of a
//! page. Debian's `chromium` and `chromium-driver` provide the browser;
//! `.ci/run` installs them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// axe-core 4.14.1 (MPL-2.0), vendored: no network in the tests.
const AXE: &str = include_str!("../vendor/axe-core-4.14.1/axe.min.js");

/// A chromedriver process and one browser session in it; both end when
/// this is dropped.
/// The keys of WebDriver's key actions.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";

pub struct Chromium {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
    /// `quit` ended the session already.
    ended: bool,
}

/// The WebDriver name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Chromium {
    pub async fn start() -> Chromium {
        let port = free_port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let binary = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=de-DE"]
                }
            }}}))
            .send()
            .await
            .expect("a session")
            .json()
            .await
            .expect("json");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Chromium {
            driver,
            http,
            session,
            base,
            ended: false,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), url);
        let request = if method == reqwest::Method::GET {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("json");
        if answer["value"]["error"].is_string() {
            panic!("{path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// Opens a new tab beside the current one and answers its handle; the
    /// current tab stays in front until [`Chromium::switch_to`].
    pub async fn new_tab(&self) -> String {
        let created = self
            .command(
                reqwest::Method::POST,
                "/window/new",
                json!({ "type": "tab" }),
            )
            .await;
        created["handle"].as_str().expect("a handle").to_owned()
    }

    /// The handle of the tab in front.
    pub async fn current_tab(&self) -> String {
        let handle = self
            .command(reqwest::Method::GET, "/window", Value::Null)
            .await;
        handle.as_str().unwrap_or_default().to_owned()
    }

    /// Types `keys` on the keyboard into whatever has the focus, as a
    /// person would: no element is picked. `TAB` and `ENTER` are keys too.
    pub async fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|key| {
                let key = key.to_string();
                [
                    json!({ "type": "keyDown", "value": key }),
                    json!({ "type": "keyUp", "value": key }),
                ]
            })
            .collect();
        self.command(
            reqwest::Method::POST,
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await;
    }

    /// Presses Tab until the element matching `css` has the focus (at most
    /// 40 times); panics when it never gets it.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..40 {
            let there = self
                .execute(
                    "return document.activeElement === document.querySelector(arguments[0]);",
                    json!([css]),
                )
                .await;
            if there.as_bool() == Some(true) {
                return;
            }
            self.press(TAB).await;
        }
        panic!("Tab never reached {css}");
    }

    /// Sizes the window as a screen of `width` x `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            json!({ "width": width, "height": height }),
        )
        .await;
    }

    /// How far the open page is wider than the window (0: it fits).
    pub async fn overflow_x(&self) -> i64 {
        self.execute(
            "const e = document.documentElement; return e.scrollWidth - e.clientWidth;",
            json!([]),
        )
        .await
        .as_i64()
        .unwrap_or(i64::MAX)
    }

    /// Renders the open page for `media` (`"print"`: as it would be
    /// printed; `""`: the screen again), through Chromium's DevTools
    /// command, which chromedriver passes on.
    pub async fn emulate_media(&self, media: &str) {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "media": media } }),
        )
        .await;
    }

    pub async fn switch_to(&self, tab: &str) {
        self.command(reqwest::Method::POST, "/window", json!({ "handle": tab }))
            .await;
    }

    pub async fn url(&self) -> String {
        let value = self
            .command(reqwest::Method::GET, "/url", Value::Null)
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    pub async fn clear(&self, element: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            json!({}),
        )
        .await;
    }

    /// Chooses the file at `path` in the file input `css`.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({ "text": path.to_string_lossy() }),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.clear(&element).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            json!({}),
        )
        .await;
    }

    /// The text a person sees in the element matching `css`, read in one
    /// step (htmx may swap the element between two commands).
    pub async fn text(&self, css: &str) -> String {
        let value = self
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                json!([css]),
            )
            .await;
        value
            .as_str()
            .unwrap_or_else(|| panic!("no element {css} on the open page"))
            .to_owned()
    }

    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// axe-core's violations of impact serious or critical on the open
    /// page, as "rule: how many elements" lines.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.execute(AXE, json!([])).await;
        let found = self
            .command(
                reqwest::Method::POST,
                "/execute/async",
                json!({ "script": "const done = arguments[arguments.length - 1];
                    axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                      r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => v.id + ': ' + v.nodes.length + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')')));",
                    "args": [] }),
            )
            .await;
        found
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        let value = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Chromium {
    /// Ends the session (the browser quits), then the driver.
    pub async fn quit(mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
        self.ended = true;
    }

    /// Waits up to five seconds for `css` to show `text`: what htmx swaps
    /// in after a request, or the next page after a click that submits a
    /// form (WebDriver may answer the click before the page has loaded).
    /// Waits (up to five seconds) until the element's text no longer holds
    /// `text`, and answers the text last seen.
    pub async fn wait_for_text_gone(&self, css: &str, text: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.inner_text(css).await;
            if !seen.contains(text) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        seen
    }

    async fn inner_text(&self, css: &str) -> String {
        self.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.inner_text(css).await;
            if seen.contains(text) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        seen
    }
}

/// A test that fails ends without `quit`: the session is ended here, in
/// plain blocking HTTP, so that its browser does not outlive the test (a
/// killed chromedriver leaves its Chromium running).
impl Drop for Chromium {
    fn drop(&mut self) {
        let address = self.base.trim_start_matches("http://").to_owned();
        if !self.ended
            && let Ok(mut stream) = std::net::TcpStream::connect(&address)
        {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
