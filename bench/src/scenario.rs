//! The benchmark scenarios and the request each one sends: a different body for every request,
//! since WeCom refuses two concurrent requests with identical bodies (spec §2.10).

use bytes::Bytes;
use hyper::Method;

use crate::http::Outgoing;
use crate::png::PngFamily;

/// What a scenario sends.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A short text message to one group.
    Text,
    /// A markdown message of about 2 KB to one group.
    Markdown,
    /// A text message to every group of a bot that sits in 100 groups (`chatid: @all_group`).
    Broadcast,
    /// An `image` message of a 100 KB PNG (base64 + md5) to one group.
    Image,
    /// `upload_media` of a 1 MB file.
    Upload,
}

impl Scenario {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Text => "text",
            Scenario::Markdown => "markdown",
            Scenario::Broadcast => "broadcast",
            Scenario::Image => "image",
            Scenario::Upload => "upload",
        }
    }

    /// How many groups the scenario's bot sits in.
    pub fn groups(self) -> usize {
        match self {
            Scenario::Broadcast => BROADCAST_GROUPS,
            _ => 1,
        }
    }
}

/// Groups of the broadcast scenario (spec §2.1: `chatid` names at most 100 chats).
pub const BROADCAST_GROUPS: usize = 100;
/// Target size of the markdown content.
const MARKDOWN_BYTES: usize = 2048;
/// Size of the picture of the image scenario.
const IMAGE_BYTES: usize = 100 * 1024;
/// Size of the file of the upload scenario.
const UPLOAD_BYTES: usize = 1024 * 1024;
const BOUNDARY: &str = "hookpit-bench-boundary-7d2f";

/// Builds request number `seq` of a scenario.
pub struct RequestMaker {
    scenario: Scenario,
    send_path: String,
    upload_path: String,
    /// The JSON-escaped `chatid` member, or empty to let the server default to `@all_group`.
    chatid_member: String,
    /// Run id: keeps bodies distinct across runs against the same store.
    run: u32,
    markdown_filler: String,
    png: Option<PngFamily>,
    upload_file: Option<Vec<u8>>,
}

impl RequestMaker {
    /// A maker for `scenario`, sending with bot `key` to `chatid` (`None`: the bot's groups).
    pub fn new(scenario: Scenario, key: &str, chatid: Option<&str>) -> RequestMaker {
        let chatid_member = chatid
            .map(|c| format!("\"chatid\":{},", serde_json::Value::from(c)))
            .unwrap_or_default();
        RequestMaker {
            scenario,
            send_path: format!("/cgi-bin/webhook/send?key={key}"),
            upload_path: format!("/cgi-bin/webhook/upload_media?key={key}&type=file"),
            chatid_member,
            run: fastrand::u32(..),
            markdown_filler: markdown_filler(MARKDOWN_BYTES - 64),
            png: (scenario == Scenario::Image).then(|| PngFamily::new(IMAGE_BYTES)),
            upload_file: (scenario == Scenario::Upload).then(|| {
                let mut rng = fastrand::Rng::with_seed(0xf11e);
                (0..UPLOAD_BYTES).map(|_| rng.u8(..)).collect()
            }),
        }
    }

    /// Request number `seq`.
    pub fn make(&self, seq: u64) -> Outgoing {
        let run = self.run;
        let chatid = &self.chatid_member;
        let json = |body: String| Outgoing::post_json(self.send_path.clone(), body);
        match self.scenario {
            Scenario::Text | Scenario::Broadcast => json(format!(
                r#"{{{chatid}"msgtype":"text","text":{{"content":"bench {run:08x} request {seq}: disk 91% on db-{seq}"}}}}"#
            )),
            Scenario::Markdown => json(format!(
                r###"{{{chatid}"msgtype":"markdown","markdown":{{"content":"## Report {run:08x}-{seq}\n{}"}}}}"###,
                self.markdown_filler
            )),
            Scenario::Image => {
                let picture = self.png.as_ref().map(|png| png.picture(seq));
                let (base64, md5) = picture.map(|p| (p.base64, p.md5_hex)).unwrap_or_default();
                json(format!(
                    r#"{{{chatid}"msgtype":"image","image":{{"base64":"{base64}","md5":"{md5}"}}}}"#
                ))
            }
            Scenario::Upload => {
                let file = self.upload_file.as_deref().unwrap_or_default();
                let head = format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"media\"; \
                     filename=\"bench-{run:08x}-{seq}.bin\"; filelength={}\r\n\
                     Content-Type: application/octet-stream\r\n\r\n",
                    file.len()
                );
                let stamp = format!("{run:08x}-{seq:016x}");
                let mut body = Vec::with_capacity(head.len() + file.len() + 64);
                body.extend_from_slice(head.as_bytes());
                // The file differs per request in its first bytes.
                body.extend_from_slice(stamp.as_bytes());
                body.extend_from_slice(file.get(stamp.len()..).unwrap_or_default());
                body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
                Outgoing {
                    method: Method::POST,
                    path: self.upload_path.clone(),
                    content_type: Some(MULTIPART),
                    body: Bytes::from(body),
                }
            }
        }
    }
}

const MULTIPART: &str = "multipart/form-data; boundary=hookpit-bench-boundary-7d2f";

/// Markdown lines (escaped for a JSON string) until about `bytes` bytes of content.
fn markdown_filler(bytes: usize) -> String {
    let mut content = String::new();
    let mut line = 0;
    while content.len() < bytes {
        line += 1;
        content.push_str(&format!(
            "> **check {line}**: <font color=\\\"info\\\">passed</font> in `{line}ms`, [log](https://ci.example.com/{line})\\n"
        ));
    }
    content
}

/// The text of crash-test message `token`: a fixed frame, so a stored message that is not
/// exactly this was damaged.
pub fn crash_content(token: &str) -> String {
    format!("crash-token {token} end")
}

/// The token of a crash-test message, if `content` is exactly a [`crash_content`].
pub fn crash_token(content: &str) -> Option<&str> {
    content.strip_prefix("crash-token ")?.strip_suffix(" end")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_of(outgoing: &Outgoing) -> serde_json::Value {
        serde_json::from_slice(&outgoing.body).unwrap()
    }

    #[test]
    fn text_bodies_are_valid_json_and_differ_per_request() {
        let maker = RequestMaker::new(Scenario::Text, "k", Some("wrkA"));
        let (a, b) = (maker.make(1), maker.make(2));
        assert_ne!(a.body, b.body);
        assert_eq!(json_of(&a)["chatid"], "wrkA");
        assert_eq!(json_of(&a)["msgtype"], "text");
        assert_eq!(a.path, "/cgi-bin/webhook/send?key=k");
    }

    #[test]
    fn markdown_content_is_about_2_kb_and_under_the_4096_byte_limit() {
        let maker = RequestMaker::new(Scenario::Markdown, "k", None);
        let body = json_of(&maker.make(99));
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!((1900..=4096).contains(&content.len()), "{}", content.len());
        assert!(body.get("chatid").is_none());
    }

    #[test]
    fn image_bodies_carry_the_md5_of_their_picture() {
        use base64::Engine as _;
        use md5::Digest as _;
        let maker = RequestMaker::new(Scenario::Image, "k", Some("wrkA"));
        let body = json_of(&maker.make(5));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body["image"]["base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            body["image"]["md5"],
            crate::png::hex(&md5::Md5::digest(&bytes))
        );
        assert!(bytes.len() >= IMAGE_BYTES);
    }

    #[test]
    fn upload_bodies_are_multipart_with_a_1_mb_file() {
        let maker = RequestMaker::new(Scenario::Upload, "k", None);
        let outgoing = maker.make(3);
        assert!(outgoing.path.ends_with("type=file"));
        let body = &outgoing.body;
        assert!(body.len() > UPLOAD_BYTES && body.len() < UPLOAD_BYTES + 512);
        assert!(body.ends_with(b"--hookpit-bench-boundary-7d2f--\r\n"));
        assert_ne!(maker.make(4).body, outgoing.body);
    }

    #[test]
    fn crash_tokens_round_trip_and_damaged_content_is_detected() {
        assert_eq!(crash_token(&crash_content("c1-w2-3")), Some("c1-w2-3"));
        assert_eq!(crash_token("crash-token c1-w2-3 en"), None);
    }
}
