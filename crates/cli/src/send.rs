//! `hookpit send`: builds the request of each message type from flags and files, and sends it.

use clap::ArgMatches;
use hookpit_client::message::{self, Envelope};
use hookpit_client::protocol::TemplateCard;
use hookpit_client::{
    Error, MediaKind, RetryPolicy, SendReply, SendRequest, Webhook, split_request,
};

use crate::cli::{EnvelopeArgs, MarkdownSource, MessageCommand, SendArgs, Target};
use crate::input;
use crate::news;
use crate::progress::Bars;
use crate::report::Failure;
use crate::upload::upload_file;

/// Runs `hookpit send`. `news_matches` are the parsed flags of `send news`, whose order says
/// which article each flag belongs to.
pub async fn run(
    args: SendArgs,
    news_matches: Option<&ArgMatches>,
    bars: &Bars,
) -> Result<(), Failure> {
    let bot = webhook(&args.target)?;
    let envelope = envelope(&args.envelope);
    let target = &args.target;
    let request = match args.message {
        MessageCommand::Text(text) => {
            let content = match text.content {
                Some(content) if content != "-" => content,
                _ => input::read_stdin_text()?,
            };
            let mut draft = message::text(content);
            for userid in text.mention {
                draft = draft.mention(userid);
            }
            for mobile in text.mention_mobile {
                draft = draft.mention_mobile(mobile);
            }
            typed(draft.envelope(envelope).into_request())
        }
        MessageCommand::Markdown(markdown) => {
            let mut draft = message::markdown(read_markdown(markdown.source)?);
            if markdown.at_short_name {
                draft = draft.at_short_name(true);
            }
            typed(draft.envelope(envelope).into_request())
        }
        MessageCommand::MarkdownV2(markdown) => typed(
            message::markdown_v2(read_markdown(markdown.source)?)
                .envelope(envelope)
                .into_request(),
        ),
        MessageCommand::Image(image) => {
            let picture = input::read_bytes(&image.path)?;
            typed(message::image(&picture).envelope(envelope).into_request())
        }
        MessageCommand::News(news) => {
            let articles = news::articles(&news, news_matches)?;
            let mut draft = message::news();
            for article in articles {
                draft = draft.push_article(article);
            }
            typed(draft.envelope(envelope).into_request())
        }
        MessageCommand::File(file) => {
            let result = send_media(&bot, MediaKind::File, &file.path, envelope, bars).await;
            return finish(result.map(|reply| vec![reply]), 1, target);
        }
        MessageCommand::Voice(voice) => {
            let result = send_media(&bot, MediaKind::Voice, &voice.path, envelope, bars).await;
            return finish(result.map(|reply| vec![reply]), 1, target);
        }
        MessageCommand::Card(card) => {
            let card = read_card(&card.file)?;
            typed(
                message::template_card(card)
                    .envelope(envelope)
                    .into_request(),
            )
        }
        MessageCommand::Miniprogram(card) => {
            let pic_media_id = match (card.pic_media_id, &card.cover) {
                (Some(media_id), _) => media_id,
                (None, Some(cover)) => {
                    upload_file(&bot, MediaKind::Image, cover, bars)
                        .await
                        .map_err(|error| failure(error, target))?
                        .media_id
                }
                // clap requires one of the two; said again in case that ever changes.
                (None, None) => {
                    return Err(Failure::invalid(
                        "a mini-program card needs a cover: --cover FILE or --pic-media-id ID",
                    ));
                }
            };
            typed(
                message::miniprogram(card.title, pic_media_id, card.appid, card.page)
                    .envelope(envelope)
                    .into_request(),
            )
        }
        MessageCommand::Raw(raw) => raw_request(&raw.file, &args.envelope, args.split)?,
    };
    match request {
        Request::Typed(request) => send_typed(&bot, *request, args.split, target, bars).await,
        Request::Raw(body) => finish(bot.send_raw(body).await.map(|reply| vec![reply]), 1, target),
    }
}

/// Uploads a file or voice (with a progress bar on a terminal), then sends it.
async fn send_media(
    bot: &Webhook,
    kind: MediaKind,
    path: &std::path::Path,
    envelope: Envelope,
    bars: &Bars,
) -> Result<SendReply, Error> {
    let uploaded = upload_file(bot, kind, path, bars).await?;
    let request = match kind {
        MediaKind::Voice => message::voice(uploaded.media_id)
            .envelope(envelope)
            .into_request(),
        _ => message::file(uploaded.media_id)
            .envelope(envelope)
            .into_request(),
    };
    bot.send(request).await
}

/// What to send: a typed request, or a body to send byte for byte.
enum Request {
    // Boxed: a template card makes the typed request ten times the size of a byte buffer.
    Typed(Box<SendRequest>),
    Raw(Vec<u8>),
}

fn typed(request: SendRequest) -> Request {
    Request::Typed(Box::new(request))
}

/// The bot of `--key`/`--base` or `--webhook` (`--key` wins when both are set, e.g. a
/// `HOOKPIT_WEBHOOK` in the environment and `--key` on the command line).
pub fn webhook(target: &Target) -> Result<Webhook, Failure> {
    let bot = match (&target.key, &target.webhook) {
        (Some(key), _) => Webhook::new(key.trim()).base_url(target.base.trim()),
        (None, Some(url)) => Webhook::from_url(url.trim())?,
        (None, None) => {
            return Err(Failure::invalid("no bot to send to").hint(
                "pass --webhook URL (the whole webhook URL), --key KEY [--base URL], or set \
                 HOOKPIT_WEBHOOK",
            ));
        }
    };
    let retry = RetryPolicy::default().max_retries(target.retries);
    Ok(bot
        .validate(!target.no_validate)
        .retry(retry)
        .timeout(target.timeout))
}

fn envelope(args: &EnvelopeArgs) -> Envelope {
    let mut envelope = Envelope::new();
    for id in &args.chatid {
        envelope = envelope.chatid(id);
    }
    for userid in &args.visible_to {
        envelope = envelope.visible_to(userid);
    }
    if let Some(post_id) = &args.post_id {
        envelope = envelope.post_id(post_id);
    }
    envelope
}

fn read_markdown(source: MarkdownSource) -> Result<String, Failure> {
    match (source.content, source.file) {
        (Some(content), _) => Ok(content),
        (None, Some(path)) if !input::is_stdin(&path) => input::read_text(&path),
        (None, _) => input::read_stdin_text(),
    }
}

/// A template card from a file holding the card, or a whole `template_card` request.
fn read_card(path: &std::path::Path) -> Result<TemplateCard, Failure> {
    let mut value = input::read_json(path)?;
    if let Some(card) = value.get_mut("template_card") {
        value = card.take();
    }
    serde_json::from_value(value).map_err(|error| {
        Failure::invalid(format!(
            "{} is not a template card: {error}",
            input::display(path)
        ))
    })
}

/// A raw request: the file's bytes unchanged, unless envelope flags or `--split` need to
/// change it (then it goes through JSON, and keys may be reordered).
fn raw_request(
    path: &std::path::Path,
    args: &EnvelopeArgs,
    split: bool,
) -> Result<Request, Failure> {
    let bytes = input::read_bytes(path)?;
    let has_envelope =
        !args.chatid.is_empty() || !args.visible_to.is_empty() || args.post_id.is_some();
    if !has_envelope && !split {
        return Ok(Request::Raw(bytes));
    }
    let not_request = |error: serde_json::Error| {
        Failure::invalid(format!(
            "{} is not a send request: {error}",
            input::display(path)
        ))
    };
    let mut request: SendRequest = serde_json::from_slice(&bytes).map_err(not_request)?;
    if !args.chatid.is_empty() {
        request.chatid = Some(args.chatid.join("|"));
    }
    if !args.visible_to.is_empty() {
        request.visible_to_user = Some(args.visible_to.join("|"));
    }
    if let Some(post_id) = &args.post_id {
        request.post_id = Some(post_id.clone());
    }
    Ok(typed(request))
}

/// Sends one request, or its parts with `--split`, in order (with a progress bar on a terminal
/// when there are several); stops at the first failure.
async fn send_typed(
    bot: &Webhook,
    request: SendRequest,
    split: bool,
    target: &Target,
    bars: &Bars,
) -> Result<(), Failure> {
    let parts = if split {
        split_request(request)
    } else {
        vec![request]
    };
    let total = parts.len();
    let bar = (total > 1).then(|| bars.messages(total));
    let mut replies = Vec::with_capacity(total);
    for part in parts {
        match bot.send(part).await {
            Ok(reply) => {
                replies.push(reply);
                if let Some(bar) = &bar {
                    bar.step();
                }
            }
            Err(error) => {
                // Off the screen before the lines that say what happened.
                drop(bar);
                print_replies(&replies, target.json);
                if total > 1 {
                    eprintln!(
                        "sent {} of {total} messages before the error",
                        replies.len()
                    );
                }
                return Err(failure(error, target));
            }
        }
    }
    drop(bar);
    finish(Ok(replies), total, target)
}

/// Prints the outcome: replies on stdout with `--json`, a summary on stderr otherwise.
fn finish(
    result: Result<Vec<SendReply>, Error>,
    total: usize,
    target: &Target,
) -> Result<(), Failure> {
    match result {
        Ok(replies) => {
            print_replies(&replies, target.json);
            if !target.json {
                let plural = if total == 1 { "" } else { "s" };
                eprintln!("sent {total} message{plural}");
            }
            Ok(())
        }
        Err(error) => Err(failure(error, target)),
    }
}

fn print_replies(replies: &[SendReply], json: bool) {
    if json {
        for reply in replies {
            println!("{}", reply.to_json());
        }
    }
}

/// The failure of a call to the bot; with `--json` the server's refusal is also printed as its
/// reply.
pub fn failure(error: Error, target: &Target) -> Failure {
    if target.json
        && let Error::Api { code, errmsg } = &error
    {
        let reply = SendReply {
            errcode: *code,
            errmsg: errmsg.clone(),
        };
        println!("{}", reply.to_json());
    }
    let failure = Failure::of_call(error, target.timeout);
    tracing::debug!(message = %failure.message, "send failed");
    failure
}
