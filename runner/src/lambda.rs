//! The Lambda Runtime API, implemented for local processes: every function instance is a
//! real binary talking to its own Runtime API endpoint (`/2018-06-01/runtime/...`), one
//! invocation at a time, with the `Lambda-Runtime-*` headers. A pool per function spawns
//! warm instances on demand (up to a few), kills and replaces one that overruns its
//! timeout, and notices crashes. Every invocation ends with a `REPORT` line as Lambda
//! writes it (duration, billed duration, memory size, max memory used, and the init
//! duration on a cold start).

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot, Mutex, Semaphore};

/// What came back from one invocation.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The function's response payload.
    Response(Bytes),
    /// The function reported an error (`/error` or `/init/error`).
    Error { error_type: String, message: String },
    /// The process died before answering.
    Crashed(String),
    /// It overran its timeout and was killed.
    TimedOut,
}

/// What one invocation cost, as Lambda's `REPORT` line says it.
#[derive(Debug, Clone)]
pub struct Report {
    pub request_id: String,
    /// From the invocation handed to the function (`/next`) to its answer.
    pub duration: Duration,
    pub memory_size_mb: u64,
    /// The process's peak resident memory so far (Linux `VmHWM`), as Lambda reports the
    /// environment's peak; None where /proc is not there.
    pub max_memory_used_mb: Option<u64>,
    /// The instance's init (spawn to its first `/next`), on its first invocation only.
    pub init: Option<Duration>,
}

impl Report {
    /// Billed milliseconds: the duration rounded up to the millisecond, plus the init on a
    /// cold start (Lambda bills the INIT phase of every runtime since August 2025).
    pub fn billed_ms(&self) -> u64 {
        let billed = self.duration + self.init.unwrap_or_default();
        billed.as_nanos().div_ceil(1_000_000) as u64
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id,
            ms(self.duration),
            self.billed_ms(),
            self.memory_size_mb,
            self.max_memory_used_mb
                .map_or_else(|| "?".to_owned(), |m| m.to_string()),
        )?;
        if let Some(init) = self.init {
            write!(f, "\tInit Duration: {:.2} ms", ms(init))?;
        }
        Ok(())
    }
}

/// Peak resident memory of a process in MB (VmHWM), where /proc exists.
fn peak_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb.div_ceil(1024))
}

/// Cold-start timings of one instance.
#[derive(Debug, Clone, Copy)]
pub struct ColdStart {
    pub init: Duration,
    pub first_response: Option<Duration>,
}

pub struct FunctionSpec {
    pub logical_id: String,
    pub binary: PathBuf,
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    pub memory_mb: u64,
    /// Discard the function's log lines (benchmarks).
    pub quiet: bool,
}

struct Invocation {
    request_id: String,
    payload: Bytes,
    deadline_ms: u128,
    reply: oneshot::Sender<Outcome>,
}

struct Instance {
    number: u32,
    sender: mpsc::Sender<Invocation>,
    alive: Arc<AtomicBool>,
    child: Arc<StdMutex<Option<tokio::process::Child>>>,
    cold_start: Arc<StdMutex<ColdStart>>,
}

impl Instance {
    fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
        if let Some(child) = self.child.lock().unwrap().as_mut() {
            let _ = child.start_kill();
        }
    }
}

pub struct Pool {
    pub spec: FunctionSpec,
    idle: Mutex<Vec<Arc<Instance>>>,
    all: StdMutex<Vec<Arc<Instance>>>,
    slots: Semaphore,
    counter: AtomicU32,
    reports: Arc<StdMutex<VecDeque<Report>>>,
    /// Invocations that ran past the function's timeout (and were killed).
    timed_out: AtomicU32,
}

/// How many warm processes one function may have locally.
pub const MAX_INSTANCES: usize = 3;

impl Pool {
    pub fn new(spec: FunctionSpec) -> Arc<Self> {
        Arc::new(Self {
            spec,
            idle: Mutex::new(Vec::new()),
            all: StdMutex::new(Vec::new()),
            slots: Semaphore::new(MAX_INSTANCES),
            counter: AtomicU32::new(0),
            reports: Arc::new(StdMutex::new(VecDeque::new())),
            timed_out: AtomicU32::new(0),
        })
    }

    /// How many invocations ran past the timeout so far.
    pub fn timeouts(&self) -> u32 {
        self.timed_out.load(Ordering::SeqCst)
    }

    /// The reports of the invocations since the last call (the most recent thousand).
    pub fn take_reports(&self) -> Vec<Report> {
        self.reports.lock().unwrap().drain(..).collect()
    }

    /// Runs one invocation on an idle instance, or a new one if all are busy.
    pub async fn invoke(self: &Arc<Self>, payload: Bytes) -> Outcome {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("pool semaphore is never closed");
        let instance = loop {
            let candidate = self.idle.lock().await.pop();
            match candidate {
                Some(i) if i.alive.load(Ordering::SeqCst) => break i,
                Some(_) => continue,
                None => match self.spawn().await {
                    Ok(i) => break i,
                    Err(e) => return Outcome::Crashed(e.to_string()),
                },
            }
        };
        let (reply, answer) = oneshot::channel();
        let deadline = SystemTime::now() + self.spec.timeout;
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            payload,
            deadline_ms: deadline.duration_since(UNIX_EPOCH).unwrap().as_millis(),
            reply,
        };
        if instance.sender.send(invocation).await.is_err() {
            return Outcome::Crashed("the function process is gone".into());
        }
        match tokio::time::timeout(self.spec.timeout, answer).await {
            Ok(Ok(outcome)) => {
                if !matches!(outcome, Outcome::Crashed(_)) && instance.alive.load(Ordering::SeqCst)
                {
                    self.idle.lock().await.push(instance);
                }
                outcome
            }
            Ok(Err(_)) => {
                Outcome::Crashed("the function process exited during the invocation".into())
            }
            Err(_) => {
                eprintln!(
                    "[{}#{}] timed out after {:?}; killing it",
                    self.spec.logical_id, instance.number, self.spec.timeout
                );
                instance.kill();
                self.timed_out.fetch_add(1, Ordering::SeqCst);
                Outcome::TimedOut
            }
        }
    }

    /// Cold-start timings of every instance spawned so far.
    pub fn cold_starts(&self) -> Vec<ColdStart> {
        self.all
            .lock()
            .unwrap()
            .iter()
            .map(|i| *i.cold_start.lock().unwrap())
            .collect()
    }

    pub fn kill_all(&self) {
        for instance in self.all.lock().unwrap().iter() {
            instance.kill();
        }
    }

    /// Starts one execution environment: its own Runtime API on a free port, the
    /// function's process pointed at it, its logs streamed, and a reaper that fails what
    /// it held when the process exits.
    async fn spawn(self: &Arc<Self>) -> crate::Result<Arc<Instance>> {
        let number = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (sender, receiver) = mpsc::channel::<Invocation>(1);
        let cold_start = Arc::new(StdMutex::new(ColdStart {
            init: Duration::ZERO,
            first_response: None,
        }));
        let api = Arc::new(RuntimeApi {
            name: format!("{}#{number}", self.spec.logical_id),
            function: self.spec.logical_id.clone(),
            receiver: Mutex::new(receiver),
            current: StdMutex::new(None),
            spawned_at: Instant::now(),
            seen_next: AtomicBool::new(false),
            cold_start: cold_start.clone(),
            init_error: StdMutex::new(None),
            pid: AtomicU32::new(0),
            memory_size_mb: self.spec.memory_mb,
            reports: self.reports.clone(),
            quiet: self.spec.quiet,
        });
        let server = serve_runtime_api(listener, api.clone());

        let mut child = self
            .command(port, number)
            .spawn()
            .map_err(|e| crate::Error::Setup(format!("{}: {e}", self.spec.binary.display())))?;
        api.pid.store(child.id().unwrap_or(0), Ordering::SeqCst);
        for stream in [
            child.stdout.take().map(Pipe::Out),
            child.stderr.take().map(Pipe::Err),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(stream_logs(api.name.clone(), stream));
        }
        let child = Arc::new(StdMutex::new(Some(child)));
        let alive = Arc::new(AtomicBool::new(true));
        let instance = Arc::new(Instance {
            number,
            sender,
            alive: alive.clone(),
            child: child.clone(),
            cold_start,
        });
        self.all.lock().unwrap().push(instance.clone());
        tokio::spawn(reap(child, alive, api, server));
        Ok(instance)
    }

    /// The function's process as Lambda starts it: only the template's environment (and
    /// PATH, HOME, RUST_BACKTRACE, the clock's shift), the Runtime API address and Lambda's own variables.
    fn command(&self, port: u16, number: u32) -> tokio::process::Command {
        let output = || {
            if self.spec.quiet {
                Stdio::null()
            } else {
                Stdio::piped()
            }
        };
        let mut command = tokio::process::Command::new(&self.spec.binary);
        command
            .env_clear()
            .envs(
                // The clock's shift too: every function tells the time as the runner does.
                std::env::vars().filter(|(k, _)| {
                    k == "PATH"
                        || k == "HOME"
                        || k == "RUST_BACKTRACE"
                        || k == fitkart::clock::SHIFT_VARIABLE
                }),
            )
            .envs(&self.spec.env)
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.spec.logical_id)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.spec.memory_mb.to_string(),
            )
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.spec.logical_id),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{number}"))
            .env("_HANDLER", "bootstrap")
            .stdin(Stdio::null())
            .stdout(output())
            .stderr(output())
            .kill_on_drop(true);
        #[cfg(target_os = "linux")]
        unsafe {
            // If the runner dies without cleaning up, the kernel stops the function too.
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        command
    }
}

/// One environment's Lambda Runtime API (next, response, error, init error).
fn serve_runtime_api(
    listener: tokio::net::TcpListener,
    api: Arc<RuntimeApi>,
) -> tokio::task::JoinHandle<()> {
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

/// Waits for the process to exit, then fails the invocation it held and any queued for
/// it (with its init error, if it reported one), and stops its Runtime API.
async fn reap(
    child: Arc<StdMutex<Option<tokio::process::Child>>>,
    alive: Arc<AtomicBool>,
    api: Arc<RuntimeApi>,
    server: tokio::task::JoinHandle<()>,
) {
    loop {
        let status = child
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        if let Some(status) = status {
            // Killed by the pool (timeout, shutdown) is expected; anything else is news.
            let unexpected = alive.swap(false, Ordering::SeqCst);
            if let Some((_, reply, _)) = api.current.lock().unwrap().take() {
                let _ = reply.send(Outcome::Crashed(format!("process exited with {status}")));
            }
            if unexpected && !status.success() {
                eprintln!("[{}] exited with {status}", api.name);
            }
            server.abort();
            // An invocation queued for a process that never asked for it.
            let mut receiver = api.receiver.lock().await;
            receiver.close();
            while let Ok(invocation) = receiver.try_recv() {
                let outcome = match api.init_error.lock().unwrap().clone() {
                    Some(error) => error,
                    None => Outcome::Crashed(format!("process exited with {status}")),
                };
                let _ = invocation.reply.send(outcome);
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

enum Pipe {
    Out(tokio::process::ChildStdout),
    Err(tokio::process::ChildStderr),
}

/// Streams a function's log lines, each prefixed with the function and instance.
async fn stream_logs(name: String, pipe: Pipe) {
    let reader: Box<dyn tokio::io::AsyncRead + Unpin + Send> = match pipe {
        Pipe::Out(s) => Box::new(s),
        Pipe::Err(s) => Box::new(s),
    };
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        println!("[{name}] {line}");
    }
}

struct RuntimeApi {
    name: String,
    function: String,
    receiver: Mutex<mpsc::Receiver<Invocation>>,
    /// The invocation in progress: its id, where its outcome goes, when it was handed over.
    current: StdMutex<Option<(String, oneshot::Sender<Outcome>, Instant)>>,
    spawned_at: Instant,
    seen_next: AtomicBool,
    cold_start: Arc<StdMutex<ColdStart>>,
    init_error: StdMutex<Option<Outcome>>,
    pid: AtomicU32,
    memory_size_mb: u64,
    reports: Arc<StdMutex<VecDeque<Report>>>,
    quiet: bool,
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> Response {
    if !api.seen_next.swap(true, Ordering::SeqCst) {
        api.cold_start.lock().unwrap().init = api.spawned_at.elapsed();
    }
    let Some(invocation) = api.receiver.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let header = |v: String| HeaderValue::from_str(&v).unwrap();
    headers.insert(
        "lambda-runtime-aws-request-id",
        header(invocation.request_id.clone()),
    );
    headers.insert(
        "lambda-runtime-deadline-ms",
        header(invocation.deadline_ms.to_string()),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header(format!(
            "arn:aws:lambda:us-east-1:000000000000:function:{}",
            api.function
        )),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        header(format!(
            "Root=1-{:08x}-{};Sampled=0",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..24)
                .unwrap_or("0")
        )),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    *api.current.lock().unwrap() = Some((invocation.request_id, invocation.reply, Instant::now()));
    (StatusCode::OK, headers, invocation.payload).into_response()
}

fn finish(api: &RuntimeApi, id: &str, outcome: Outcome) -> StatusCode {
    let mut current = api.current.lock().unwrap();
    match current.take() {
        Some((current_id, reply, handed_at)) if current_id == id => {
            let duration = handed_at.elapsed();
            let mut cold = api.cold_start.lock().unwrap();
            let first = cold.first_response.is_none();
            if first {
                cold.first_response = Some(api.spawned_at.elapsed());
            }
            let report = Report {
                request_id: current_id,
                duration,
                memory_size_mb: api.memory_size_mb,
                max_memory_used_mb: peak_memory_mb(api.pid.load(Ordering::SeqCst)),
                init: first.then_some(cold.init),
            };
            if !api.quiet {
                println!("[{}] {report}", api.name);
            }
            let mut reports = api.reports.lock().unwrap();
            if reports.len() >= 1_000 {
                reports.pop_front();
            }
            reports.push_back(report);
            let _ = reply.send(outcome);
            StatusCode::ACCEPTED
        }
        other => {
            *current = other;
            StatusCode::BAD_REQUEST
        }
    }
}

async fn respond(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, &id, Outcome::Response(body))
}

fn error_outcome(body: &[u8], default_type: &str) -> Outcome {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    Outcome::Error {
        error_type: value["errorType"]
            .as_str()
            .unwrap_or(default_type)
            .to_owned(),
        message: value["errorMessage"].as_str().unwrap_or("").to_owned(),
    }
}

async fn fail(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&api, &id, error_outcome(&body, "Runtime.Error"))
}

/// The function failed to initialise: whatever waits on it gets the error; the process
/// exits by itself and the pool spawns a fresh one next time.
async fn init_error(State(api): State<Arc<RuntimeApi>>, body: Bytes) -> StatusCode {
    eprintln!(
        "[{}] init error: {}",
        api.name,
        String::from_utf8_lossy(&body)
    );
    *api.init_error.lock().unwrap() = Some(error_outcome(&body, "Runtime.InitError"));
    StatusCode::ACCEPTED
}
