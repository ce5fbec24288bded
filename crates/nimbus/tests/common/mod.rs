//! Runs the real `nimbus` binary on a free port for aws-sdk-rust tests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nimbus {
    child: Child,
    pub endpoint: String,
}

impl Nimbus {
    pub fn start(extra: &[&str]) -> Nimbus {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_nimbus"))
            .args(["serve", "--ephemeral", "--bind", &bind, "--log", "warn"])
            .args(extra)
            .env_remove("NIMBUS_CREDENTIALS")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn nimbus");
        let nimbus = Nimbus { child, endpoint: format!("http://{bind}") };
        nimbus.wait_ready();
        nimbus
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(self.endpoint.trim_start_matches("http://")).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("nimbus did not start listening on {}", self.endpoint);
    }

    /// SDK configuration pointing at this Nimbus with the given static credentials.
    pub async fn config(&self, access_key: &str, secret: &str, session_token: Option<&str>) -> aws_config::SdkConfig {
        let credentials = aws_credential_types::Credentials::new(access_key, secret, session_token.map(str::to_owned), None, "test");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .load()
            .await
    }

    pub async fn default_config(&self) -> aws_config::SdkConfig {
        self.config("test", "test", None).await
    }
}

impl Drop for Nimbus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
