//! Capturing senders hard-wired to `https://qyapi.weixin.qq.com`: through the proxy with
//! Hookpit's CA trusted, directly with `--tls-listen`, and with unmodified Python `requests`.
//! Nothing is ever tunnelled out, and a client that does not trust the CA is served nothing.

use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, text};

async fn with_capture() -> TestServer {
    TestServer::start_with(|config| {
        config.proxy_listen = Some("127.0.0.1:0".parse().unwrap());
        config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
}

fn ca(server: &TestServer) -> reqwest::Certificate {
    let pem = std::fs::read(server.server.ca_path().expect("a CA")).unwrap();
    reqwest::Certificate::from_pem(&pem).unwrap()
}

fn through_proxy(server: &TestServer, trust: bool) -> reqwest::Client {
    let proxy = format!("http://{}", server.server.proxy_addr().unwrap());
    let mut builder = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(proxy).unwrap())
        .timeout(Duration::from_secs(10));
    if trust {
        builder = builder.add_root_certificate(ca(server));
    }
    builder.build().unwrap()
}

fn wecom_url(server: &TestServer, scheme: &str) -> String {
    format!(
        "{scheme}://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={}",
        server.key()
    )
}

#[tokio::test]
async fn a_sender_of_wecoms_https_url_is_captured_through_the_proxy() {
    let server = with_capture().await;
    assert!(server.server.banner().contains("proxy: http://127.0.0.1:"));
    let client = through_proxy(&server, true);
    let reply: serde_json::Value = client
        .post(wecom_url(&server, "https"))
        .header("content-type", "application/json")
        .body(text(Some(DEMO_GROUP), "captured over TLS"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply, serde_json::json!({"errcode": 0, "errmsg": "ok"}));
    let upload: serde_json::Value = client
        .post(format!(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key={}&type=file",
            server.key()
        ))
        .multipart(reqwest::multipart::Form::new().part(
            "media",
            reqwest::multipart::Part::bytes(b"captured file".to_vec()).file_name("a.txt"),
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(upload["errcode"], 0, "{upload}");
    // Plain HTTP through the proxy too.
    let plain: serde_json::Value = client
        .post(wecom_url(&server, "http"))
        .body(text(Some(DEMO_GROUP), "captured in the clear"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["errcode"], 0);
    let stored: Vec<String> = server
        .messages()
        .await
        .iter()
        .map(|m| m.content["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stored, ["captured over TLS", "captured in the clear"]);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_served_nothing() {
    let server = with_capture().await;
    let refused = through_proxy(&server, false)
        .post(wecom_url(&server, "https"))
        .body(text(Some(DEMO_GROUP), "never"))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(server.messages().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn other_hosts_are_refused_and_never_tunnelled_out() {
    let server = with_capture().await;
    let proxy = server.server.proxy_addr().unwrap();
    let mut stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    stream
        .write_all(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0_u8; 512];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let client = through_proxy(&server, true);
    let plain = client
        .get("http://example.com/cgi-bin/webhook/send")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 403);
    // WeCom's host on another port is not WeCom's API either.
    let mut stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    stream
        .write_all(b"CONNECT qyapi.weixin.qq.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0_u8; 512];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 403"));
    server.stop().await;
}

#[tokio::test]
async fn tls_listen_serves_wecoms_name_directly() {
    let server = with_capture().await;
    let addr = server.server.tls_addr().unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca(&server))
        .resolve("qyapi.weixin.qq.com", addr)
        .build()
        .unwrap();
    let url = format!(
        "https://qyapi.weixin.qq.com:{}/cgi-bin/webhook/send?key={}",
        addr.port(),
        server.key()
    );
    let reply: serde_json::Value = client
        .post(url)
        .body(text(Some(DEMO_GROUP), "direct"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["errcode"], 0);
    server.stop().await;
}

#[tokio::test]
async fn the_ca_is_kept_across_restarts() {
    let server = with_capture().await;
    let first = std::fs::read_to_string(server.server.ca_path().unwrap()).unwrap();
    let server = server.restart().await;
    let second = std::fs::read_to_string(server.server.ca_path().unwrap()).unwrap();
    assert_eq!(first, second);
    server.stop().await;
}

#[tokio::test]
async fn unmodified_python_requests_is_captured_with_https_proxy_and_the_ca_bundle() {
    let server = with_capture().await;
    let script = format!(
        "import requests\n\
         r = requests.post('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={}', \
         json={{'chatid': '{DEMO_GROUP}', 'msgtype': 'text', 'text': {{'content': 'from python'}}}}, timeout=10)\n\
         print(r.json()['errcode'])\n",
        server.key()
    );
    let ca_path = server.server.ca_path().unwrap().to_owned();
    let proxy = format!("http://{}", server.server.proxy_addr().unwrap());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .env("HTTPS_PROXY", &proxy)
            .env("HTTP_PROXY", &proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("REQUESTS_CA_BUNDLE", &ca_path)
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs (scripts/test installs requests)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "0");
    assert_eq!(server.messages().await[0].content["content"], "from python");
    server.stop().await;
}
