//! The articles of `hookpit send news`, from repeatable flags or a JSON file.
//!
//! clap collects each repeatable flag on its own, so which `--url` belongs to which `--title` is
//! recovered from the flags' positions on the command line: each `--title` starts an article and
//! the other flags fill the article started last.

use clap::ArgMatches;
use hookpit_client::protocol::message::Article;

use crate::cli::NewsArgs;
use crate::input;
use crate::report::Failure;

/// The flags of an article, by clap id.
const FIELDS: [&str; 4] = ["title", "url", "description", "picurl"];

/// The articles given to `send news`.
pub fn articles(args: &NewsArgs, matches: Option<&ArgMatches>) -> Result<Vec<Article>, Failure> {
    if let Some(path) = &args.file {
        return from_file(path);
    }
    let matches = matches.ok_or_else(|| Failure::invalid("no articles given"))?;
    from_flags(matches)
}

fn from_file(path: &std::path::Path) -> Result<Vec<Article>, Failure> {
    let mut value = input::read_json(path)?;
    if let Some(articles) = value.get_mut("articles") {
        value = articles.take();
    }
    serde_json::from_value(value).map_err(|error| {
        Failure::invalid(format!(
            "{} is not a list of news articles: {error}",
            input::display(path)
        ))
    })
}

/// Groups the flags into articles by their positions on the command line.
pub fn from_flags(matches: &ArgMatches) -> Result<Vec<Article>, Failure> {
    let mut flags: Vec<(usize, &str, &String)> = Vec::new();
    for field in FIELDS {
        let (Some(indices), Some(values)) =
            (matches.indices_of(field), matches.get_many::<String>(field))
        else {
            continue;
        };
        flags.extend(
            indices
                .zip(values)
                .map(|(index, value)| (index, field, value)),
        );
    }
    flags.sort_by_key(|(index, _, _)| *index);
    let mut articles: Vec<Article> = Vec::new();
    for (_, field, value) in flags {
        if field == "title" {
            articles.push(Article {
                title: value.clone(),
                ..Article::default()
            });
            continue;
        }
        let Some(article) = articles.last_mut() else {
            return Err(Failure::invalid(format!("--{field} must follow a --title"))
                .hint("each --title starts an article; its --url, --description and --picurl come after it"));
        };
        match field {
            "url" => article.url = value.clone(),
            "description" => article.description = Some(value.clone()),
            _ => article.picurl = Some(value.clone()),
        }
    }
    if articles.is_empty() {
        return Err(Failure::invalid("no articles given")
            .hint("pass --title TITLE --url URL (repeatable) or a JSON file"));
    }
    Ok(articles)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::cli::Cli;

    fn parse(args: &[&str]) -> Result<Vec<Article>, Failure> {
        let mut argv = vec!["hookpit", "send", "--key", "k", "news"];
        argv.extend_from_slice(args);
        let matches = Cli::command().try_get_matches_from(argv).unwrap();
        Cli::from_arg_matches(&matches).unwrap();
        let news = matches
            .subcommand_matches("send")
            .and_then(|send| send.subcommand_matches("news"))
            .unwrap();
        from_flags(news)
    }

    #[test]
    fn each_title_starts_an_article_and_later_flags_fill_it() {
        let articles = parse(&[
            "--title",
            "one",
            "--description",
            "d1",
            "--url",
            "https://a",
            "--title",
            "two",
            "--url",
            "https://b",
            "--picurl",
            "https://p",
        ])
        .unwrap();
        assert_eq!(
            articles,
            vec![
                Article {
                    title: "one".to_owned(),
                    description: Some("d1".to_owned()),
                    url: "https://a".to_owned(),
                    picurl: None,
                },
                Article {
                    title: "two".to_owned(),
                    description: None,
                    url: "https://b".to_owned(),
                    picurl: Some("https://p".to_owned()),
                },
            ]
        );
    }

    #[test]
    fn a_url_before_any_title_is_refused() {
        let failure = parse(&["--url", "https://a", "--title", "t"]).unwrap_err();
        assert_eq!(failure.message, "--url must follow a --title");
    }
}
