//! The console's etcd client: one thread running a current-thread tokio runtime (`etcd::runtime::AsyncThread`)
//! that owns one `etcd_client::Client`, and a synchronous handle the HTTP threads call.
//!
//! Each call is a message on a bounded channel with its own reply channel; the thread serves them one at a time
//! (the console's etcd traffic is a few small requests per page view). Every request is bounded by the
//! connection's `connect_timeout`, and the caller waits at most twice that, so a dead etcd makes a page
//! show an error instead of hanging a worker. After any failure the client is dropped and the next call
//! reconnects.
//!
//! Writes are compare-and-swap on the key's `mod_revision` (0 = the key must not exist), so two people
//! editing the same host's entries cannot silently overwrite each other; the keys written with it (the
//! audit record) are put in the same transaction, so they share its revision and exist exactly when the
//! change does.

use crate::config::EtcdConnection;
use crate::etcd::connect::bounded;
use crate::etcd::runtime::{stopped, AsyncThread, StopSignal};
use etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use tokio::sync::mpsc;

/// One key as read.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: Vec<u8>,
    pub mod_revision: i64,
}

/// Why an etcd call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum EtcdError {
    /// etcd did not answer (or the gateway thread is gone).
    Unavailable(String),
    /// A compare-and-swap lost: the key changed since it was read; `current` is its mod_revision now.
    Conflict { current: i64 },
}

impl std::fmt::Display for EtcdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EtcdError::Unavailable(why) => write!(f, "etcd unavailable: {why}"),
            EtcdError::Conflict { current } => write!(
                f,
                "the key was changed by someone else (now at revision {current}); reload and edit again"
            ),
        }
    }
}

enum Request {
    Prefix {
        prefix: String,
        reply: std_mpsc::Sender<Result<Vec<KeyValue>, EtcdError>>,
    },
    Get {
        key: String,
        reply: std_mpsc::Sender<Result<Option<KeyValue>, EtcdError>>,
    },
    Put {
        key: String,
        value: String,
        expect_revision: i64,
        also: Vec<(String, String)>,
        reply: std_mpsc::Sender<Result<i64, EtcdError>>,
    },
}

/// Handle used by the HTTP threads (cheap to clone).
#[derive(Clone)]
pub struct EtcdGateway {
    requests: mpsc::Sender<Request>,
    wait: Duration,
}

/// The gateway's thread; stops on drop.
pub struct GatewayThread {
    _thread: AsyncThread,
}

impl EtcdGateway {
    /// Starts the gateway thread for `connection`.
    pub fn start(connection: EtcdConnection) -> std::io::Result<(EtcdGateway, GatewayThread)> {
        let (requests, receiver) = mpsc::channel(64);
        let wait = connection.connect_timeout * 2 + Duration::from_millis(500);
        let thread = AsyncThread::spawn("console-etcd", move |stop| {
            serve(connection, receiver, stop)
        })?;
        Ok((
            EtcdGateway { requests, wait },
            GatewayThread { _thread: thread },
        ))
    }

    /// Every key under `prefix`, sorted by key.
    pub fn prefix(&self, prefix: &str) -> Result<Vec<KeyValue>, EtcdError> {
        let (reply, answer) = std_mpsc::channel();
        self.call(
            Request::Prefix {
                prefix: prefix.to_string(),
                reply,
            },
            answer,
        )
    }

    /// The key `key`, if it exists.
    pub fn get(&self, key: &str) -> Result<Option<KeyValue>, EtcdError> {
        let (reply, answer) = std_mpsc::channel();
        self.call(
            Request::Get {
                key: key.to_string(),
                reply,
            },
            answer,
        )
    }

    /// Puts `value` at `key` if its mod_revision is still `expect_revision` (0: absent), and the `also`
    /// pairs in the same transaction; the new revision.
    pub fn put(
        &self,
        key: &str,
        value: String,
        expect_revision: i64,
        also: Vec<(String, String)>,
    ) -> Result<i64, EtcdError> {
        let (reply, answer) = std_mpsc::channel();
        self.call(
            Request::Put {
                key: key.to_string(),
                value,
                expect_revision,
                also,
                reply,
            },
            answer,
        )
    }

    fn call<T>(
        &self,
        request: Request,
        answer: std_mpsc::Receiver<Result<T, EtcdError>>,
    ) -> Result<T, EtcdError> {
        self.requests
            .try_send(request)
            .map_err(|e| EtcdError::Unavailable(format!("etcd gateway busy or stopped: {e}")))?;
        answer
            .recv_timeout(self.wait)
            .map_err(|_| EtcdError::Unavailable(format!("no answer within {:?}", self.wait)))?
    }
}

async fn serve(
    connection: EtcdConnection,
    mut requests: mpsc::Receiver<Request>,
    mut stop: StopSignal,
) {
    let mut client: Option<Client> = None;
    loop {
        let request = tokio::select! {
            request = requests.recv() => match request {
                Some(request) => request,
                None => return,
            },
            _ = stopped(&mut stop) => return,
        };
        let outcome = tokio::select! {
            outcome = handle(&connection, &mut client, request) => outcome,
            _ = stopped(&mut stop) => return,
        };
        if outcome.is_err() {
            client = None;
        }
    }
}

/// Serves one request; `Err(())` means the client should be dropped (the error went to the caller).
async fn handle(
    connection: &EtcdConnection,
    slot: &mut Option<Client>,
    request: Request,
) -> Result<(), ()> {
    let limit = connection.connect_timeout;
    if slot.is_none() {
        match connection.connect().await {
            Ok(c) => *slot = Some(c),
            Err(e) => {
                let error = EtcdError::Unavailable(e.to_string());
                match request {
                    Request::Prefix { reply, .. } => drop(reply.send(Err(error))),
                    Request::Get { reply, .. } => drop(reply.send(Err(error))),
                    Request::Put { reply, .. } => drop(reply.send(Err(error))),
                }
                return Err(());
            }
        }
    }
    let Some(client) = slot.as_mut() else {
        return Err(());
    };
    match request {
        Request::Prefix { prefix, reply } => {
            let result = bounded(
                "get",
                limit,
                client.get(prefix.as_str(), Some(GetOptions::new().with_prefix())),
            )
            .await
            .map(|response| {
                let mut kvs: Vec<KeyValue> = response.kvs().iter().map(key_value).collect();
                kvs.sort_by(|a, b| a.key.cmp(&b.key));
                kvs
            })
            .map_err(|e| EtcdError::Unavailable(e.to_string()));
            let failed = result.is_err();
            let _ = reply.send(result);
            if failed {
                return Err(());
            }
        }
        Request::Get { key, reply } => {
            let result = bounded("get", limit, client.get(key.as_str(), None))
                .await
                .map(|response| response.kvs().first().map(key_value))
                .map_err(|e| EtcdError::Unavailable(e.to_string()));
            let failed = result.is_err();
            let _ = reply.send(result);
            if failed {
                return Err(());
            }
        }
        Request::Put {
            key,
            value,
            expect_revision,
            also,
            reply,
        } => {
            let mut puts = vec![TxnOp::put(key.as_str(), value, None)];
            puts.extend(also.into_iter().map(|(k, v)| TxnOp::put(k, v, None)));
            let txn = Txn::new()
                .when(vec![Compare::mod_revision(
                    key.as_str(),
                    CompareOp::Equal,
                    expect_revision,
                )])
                .and_then(puts)
                .or_else(vec![TxnOp::get(key.as_str(), None)]);
            let result = match bounded("txn", limit, client.txn(txn)).await {
                Ok(response) if response.succeeded() => {
                    Ok(response.header().map(|h| h.revision()).unwrap_or(0))
                }
                Ok(response) => {
                    let current = response
                        .op_responses()
                        .into_iter()
                        .find_map(|op| match op {
                            etcd_client::TxnOpResponse::Get(get) => {
                                get.kvs().first().map(|kv| kv.mod_revision())
                            }
                            _ => None,
                        })
                        .unwrap_or(0);
                    Err(EtcdError::Conflict { current })
                }
                Err(e) => Err(EtcdError::Unavailable(e.to_string())),
            };
            let failed = matches!(result, Err(EtcdError::Unavailable(_)));
            let _ = reply.send(result);
            if failed {
                return Err(());
            }
        }
    }
    Ok(())
}

fn key_value(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: kv.value().to_vec(),
        mod_revision: kv.mod_revision(),
    }
}
