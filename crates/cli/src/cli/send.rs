//! The flags and help texts of `hookpit send`: which bot ([`Target`], shared with `upload`), the
//! envelope every message type shares, and one subcommand per message type.

use std::path::PathBuf;

use clap::{Args, Subcommand};
/// Which bot to talk to, and how.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection options")]
pub struct Target {
    /// The bot's full webhook URL, as WeCom shows it (…/cgi-bin/webhook/send?key=KEY).
    #[arg(
        long,
        env = "HOOKPIT_WEBHOOK",
        value_name = "URL",
        global = true,
        hide_env_values = true
    )]
    pub webhook: Option<String>,

    /// The bot's key (the part after `key=`), instead of --webhook.
    #[arg(
        long,
        env = "HOOKPIT_KEY",
        value_name = "KEY",
        global = true,
        hide_env_values = true
    )]
    pub key: Option<String>,

    /// With --key: the server's base URL.
    #[arg(
        long,
        env = "HOOKPIT_BASE",
        value_name = "URL",
        global = true,
        default_value = hookpit_client::DEFAULT_BASE_URL
    )]
    pub base: String,

    /// Print the server's JSON reply on stdout (one line per message sent).
    #[arg(long, global = true)]
    pub json: bool,

    /// Skip the local check of WeCom's rules and let the server judge the request.
    #[arg(long, global = true)]
    pub no_validate: bool,

    /// Retries on 45009, -1, network errors and HTTP 5xx, with exponential backoff. A retry
    /// after a timeout can deliver a message twice.
    #[arg(long, value_name = "N", default_value_t = 2, global = true)]
    pub retries: u32,

    /// Time allowed for each attempt of a send, e.g. 10s. An upload may take longer: it fails
    /// only after this long without progress.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub timeout: std::time::Duration,
}

const SEND_AFTER_HELP: &str = "\
The bot comes from --webhook URL, or --key KEY [--base URL], or $HOOKPIT_WEBHOOK.
Every flag may come before or after the message type.

Examples:
  hookpit send --webhook \"$URL\" text \"build #42 failed\" --mention zhangsan
  echo \"disk almost full\" | hookpit send text --mention-mobile 13800001111
  hookpit send markdown report.md --split            # several messages if over 4096 bytes
  hookpit send markdown --content \"**bold** <font color=\\\"info\\\">green</font>\"
  hookpit send image chart.png --chatid wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw
  hookpit send news --title \"Release 2.0\" --url https://example.com/r --description \"What's new\"
  hookpit send file build.log
  hookpit send card alert-card.json
  hookpit send miniprogram --title Shipped --appid wx8bd80126147dfAAA --page /index --cover c.png
  hookpit send raw request.json --json
  hookpit send --key KEY --base http://127.0.0.1:8765 text hello

Exit codes:
  0  success
  2  invalid input or usage: bad flags, unreadable file, a message WeCom would refuse
  3  the server answered with a non-zero errcode (printed with its errmsg and a hint)
  4  network failure: no WeCom reply was read (DNS, connect, timeout, HTTP error)";

/// `hookpit send`.
#[derive(Debug, Args)]
#[command(after_help = SEND_AFTER_HELP)]
pub struct SendArgs {
    #[command(flatten)]
    pub target: Target,

    #[command(flatten)]
    pub envelope: EnvelopeArgs,

    /// Send text or markdown that is too long as several messages, cut between lines without
    /// breaking code blocks or tables (text is cut at the 2048 bytes WeCom displays).
    #[arg(long, global = true, help_heading = "Message options")]
    pub split: bool,

    #[command(subcommand)]
    pub message: MessageCommand,
}

/// The envelope fields every message type shares.
#[derive(Debug, Args)]
#[command(next_help_heading = "Message options")]
pub struct EnvelopeArgs {
    /// Where to send: a chat id, a userid, @all_group, @all_blackboard or @all (repeatable; up to
    /// 100). Default: the bot's group.
    #[arg(long, value_name = "ID", global = true)]
    pub chatid: Vec<String>,

    /// Only this member sees the message (repeatable); for one group or blackboard.
    #[arg(long, value_name = "USERID", global = true)]
    pub visible_to: Vec<String>,

    /// Reply to this blackboard post (text, markdown and image to one blackboard).
    #[arg(long, value_name = "ID", global = true)]
    pub post_id: Option<String>,
}

/// One subcommand per message type.
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Plain text (≤ 5120 bytes; WeCom displays the first 2048), from the argument or stdin.
    Text(TextArgs),
    /// WeCom's markdown: bold, links, quotes, <font color>, <@userid> (≤ 4096 bytes).
    Markdown(MarkdownArgs),
    /// Fuller markdown: tables, lists, code blocks; no colours, no mentions (≤ 4096 bytes).
    #[command(name = "markdown-v2")]
    MarkdownV2(MarkdownV2Args),
    /// A JPG or PNG picture (≤ 2 MB); base64 and md5 are computed.
    Image(PathArg),
    /// One to eight link cards, from flags or a JSON file.
    #[command(after_help = NEWS_AFTER_HELP)]
    News(NewsArgs),
    /// A file (≤ 20 MB): uploaded, then sent.
    File(PathArg),
    /// An AMR voice (≤ 2 MB, ≤ 60 s): uploaded, then sent.
    Voice(PathArg),
    /// A template card (text_notice or news_notice) from a JSON file.
    #[command(after_help = CARD_AFTER_HELP)]
    Card(JsonFileArg),
    /// A mini-program card (WeCom's internal document only): title, cover, appid and page.
    #[command(after_help = MINIPROGRAM_AFTER_HELP)]
    Miniprogram(MiniprogramArgs),
    /// A whole request body from a JSON file, sent byte for byte (unless envelope flags or
    /// --split change it).
    Raw(JsonFileArg),
}

/// `send text`.
#[derive(Debug, Args)]
pub struct TextArgs {
    /// The text; read from stdin when absent or `-`.
    pub content: Option<String>,

    /// @-mention a member by userid; `@all` mentions everyone (repeatable).
    #[arg(long, value_name = "USERID")]
    pub mention: Vec<String>,

    /// @-mention a member by mobile number; `@all` mentions everyone (repeatable).
    #[arg(long, value_name = "MOBILE")]
    pub mention_mobile: Vec<String>,
}

/// Where markdown comes from: a file, inline, or stdin.
#[derive(Debug, Args)]
pub struct MarkdownSource {
    /// A markdown file; stdin when absent or `-`.
    #[arg(conflicts_with = "content")]
    pub file: Option<PathBuf>,

    /// The markdown itself, instead of a file.
    #[arg(long, value_name = "MARKDOWN")]
    pub content: Option<String>,
}

/// `send markdown`.
#[derive(Debug, Args)]
pub struct MarkdownArgs {
    #[command(flatten)]
    pub source: MarkdownSource,

    /// Show <@userid> mentions by short name.
    #[arg(long)]
    pub at_short_name: bool,
}

/// `send markdown-v2`.
#[derive(Debug, Args)]
pub struct MarkdownV2Args {
    #[command(flatten)]
    pub source: MarkdownSource,
}

/// A file to send.
#[derive(Debug, Args)]
pub struct PathArg {
    /// The file.
    pub path: PathBuf,
}

/// A JSON file, or stdin.
#[derive(Debug, Args)]
pub struct JsonFileArg {
    /// The JSON file; stdin when `-`.
    pub file: PathBuf,
}

const NEWS_AFTER_HELP: &str = "\
Each --title starts an article; --url, --description and --picurl that follow belong to it.
The JSON file holds {\"articles\": [...]} or just the array of articles.

Examples:
  hookpit send news --title \"中秋节礼品领取\" --url https://example.com/gifts \\
      --description \"今年中秋节公司有豪礼相送\" --picurl https://example.com/moon.png \\
      --title \"Second story\" --url https://example.com/2
  hookpit send news articles.json";

/// `send news`.
#[derive(Debug, Args)]
pub struct NewsArgs {
    /// A JSON file of articles, instead of the flags; stdin when `-`.
    #[arg(conflicts_with_all = ["title", "url", "description", "picurl"])]
    pub file: Option<PathBuf>,

    /// Starts an article with this title (≤ 128 bytes, longer is cut).
    #[arg(long, value_name = "TITLE")]
    pub title: Vec<String>,

    /// The click URL of the article (required).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,

    /// The description of the article (≤ 512 bytes, longer is cut).
    #[arg(long, value_name = "TEXT")]
    pub description: Vec<String>,

    /// The picture URL of the article (JPG or PNG; 1068×455 and 150×150 look best).
    #[arg(long, value_name = "URL")]
    pub picurl: Vec<String>,
}

const CARD_AFTER_HELP: &str = "\
The file holds the template_card object, or a whole request whose msgtype is template_card.

Example card.json:
  {\"card_type\": \"text_notice\",
   \"main_title\": {\"title\": \"CPU over 90%\", \"desc\": \"web-1\"},
   \"card_action\": {\"type\": 1, \"url\": \"https://grafana.example.com\"}}";

const MINIPROGRAM_AFTER_HELP: &str = "\
The cover is an `image` upload, a type of WeCom's internal document: --cover uploads the picture
first (a Hookpit takes it when started with `hookpit serve --upload-types image`), or
--pic-media-id names one uploaded before (`hookpit upload --type image cover.png`).

Examples:
  hookpit send miniprogram --title \"Order #12 shipped\" --appid wx8bd80126147dfAAA \\
      --page /pages/order?id=12 --cover cover.png
  hookpit send miniprogram --title \"小程序测试消息\" --appid wx8bd80126147dfAAA \\
      --page /path/index.html --pic-media-id MEDIA_ID";

/// `send miniprogram`: the four fields of WeCom's `miniprogram` object, with the cover given as
/// a picture to upload or as a media id.
#[derive(Debug, Args)]
pub struct MiniprogramArgs {
    /// The card's title (≤ 64 bytes).
    #[arg(long, value_name = "TITLE")]
    pub title: String,

    /// The appid of the mini-program (wx…), one linked to the company.
    #[arg(long, value_name = "APPID")]
    pub appid: String,

    /// The page the card opens, e.g. /pages/index?id=1 (the wire's `page`).
    #[arg(long, alias = "pagepath", value_name = "PATH")]
    pub page: String,

    /// The cover picture, JPG or PNG (520×416 looks best): uploaded as an `image`, then used.
    #[arg(long, value_name = "FILE", required_unless_present = "pic_media_id")]
    pub cover: Option<PathBuf>,

    /// The media_id of a cover already uploaded as an `image`, instead of --cover.
    #[arg(long, value_name = "MEDIA_ID", conflicts_with = "cover")]
    pub pic_media_id: Option<String>,
}
