//! One call to a webhook endpoint: the retry loop around its attempts, with the warning
//! logged before each retry, and the reading of WeCom's reply.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::Webhook;
use crate::error::{Error, excerpt, network};

impl Webhook {
    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up. Each attempt
    /// waits for the rate limiter first when `targets` is given. `call` names the call in the
    /// warning logged before each retry.
    pub(super) async fn with_retries<T, F, Fut>(
        &self,
        call: &str,
        targets: Option<Vec<String>>,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut retry = 0;
        loop {
            let permit = match (&self.limiter, &targets) {
                (Some(limiter), Some(targets)) => Some(limiter.acquire(targets.clone()).await),
                _ => None,
            };
            let result = attempt().await;
            // Counted now that the server has seen it (see `limit`).
            drop(permit);
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Some(delay) = self.retry.delay(retry, &error) else {
                return Err(error);
            };
            // Said in one line, for people reading a CI log: what failed and why, and when
            // the next attempt comes.
            tracing::warn!(
                "{call} failed: {}; retry {} of {} in {:?}",
                retry_reason(&error),
                retry + 1,
                self.retry.retries(),
                round_to_millis(delay),
            );
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }
}

/// Why an attempt failed, for the retry warning: the errcode and its errmsg without the
/// `hint: [...]` and `from ip` that change with every call, or the error and its causes.
fn retry_reason(error: &Error) -> String {
    if let Error::Api { code, errmsg } = error {
        let text = errmsg.split(", hint: [").next().unwrap_or(errmsg);
        return format!("errcode {code}: {text}");
    }
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// `delay` to the millisecond: jitter makes the nanoseconds noise.
fn round_to_millis(delay: Duration) -> Duration {
    Duration::from_millis(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
}

/// Reads a 200 answer from `url` as WeCom JSON.
pub(super) async fn read_reply<T: DeserializeOwned>(
    response: reqwest::Response,
    url: &str,
) -> Result<T, Error> {
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|source| network(url, source))?;
    if status != reqwest::StatusCode::OK {
        return Err(Error::Status {
            status: status.as_u16(),
            body: excerpt(&body),
        });
    }
    serde_json::from_str(&body).map_err(|source| Error::Reply {
        body: excerpt(&body),
        source,
    })
}

pub(super) fn api_result(code: i64, errmsg: &str) -> Result<(), Error> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Api {
            code,
            errmsg: errmsg.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_warnings_give_the_errmsg_without_its_volatile_tail() {
        let error = Error::Api {
            code: 45009,
            errmsg: "api freq out of limit, hint: [1736161359581513296438301], from ip: 1.2.3.4, \
                     more info at https://open.work.weixin.qq.com/devtool/query?e=45009"
                .to_owned(),
        };
        assert_eq!(retry_reason(&error), "errcode 45009: api freq out of limit");
        assert_eq!(
            format!("{:?}", round_to_millis(Duration::from_nanos(812_345_678))),
            "812ms"
        );
    }
}
