//! A Kafka-protocol TCP proxy that enforces a record-batch size limit, the way a real broker does.
//!
//! A Kafka broker refuses a produced record batch larger than `message.max.bytes` (topic:
//! `max.message.bytes`), measured on the batch as sent, i.e. compressed, answering MESSAGE_TOO_LARGE (10).
//! Tansu 0.6 enforces no such limit, so tests put this proxy in front of it: Tansu advertises the proxy's
//! port, so clients come back through the proxy after the metadata exchange (see [`tansu_behind_proxy`]).
//!
//! Per client connection the proxy opens one upstream connection and handles requests strictly one at a
//! time (which keeps responses in order without tracking correlation ids): it reads one request frame,
//! forwards it and copies back exactly one response frame, except for Produce (api key 0) requests, which
//! it parses (versions 3 to 10): when one partition's `records` is longer than the limit, it answers the
//! whole request itself, MESSAGE_TOO_LARGE for every partition, and forwards nothing (a real broker refuses
//! only the partitions over the limit and appends the others: with one partition per request, as in a
//! one-partition topic, the two agree). Produce with
//! `acks = 0` expects no response: it is forwarded without reading one (or, refused, dropped silently).
//!
//! A Produce version it cannot parse, or a malformed frame, ends that connection with a message on stderr.
//!
//! After a refusal, librdkafka's idempotent producer bumps its epoch by itself (KIP-360: the refused batch
//! leaves a sequence gap) and goes on with that epoch and sequence 0. Kafka accepts this; Tansu 0.6 answers
//! PRODUCER_FENCED to every later Produce of a producer whose epoch it did not hand out itself, so the
//! producer would never deliver again. The proxy therefore stands in for the broker's side of KIP-360: the
//! first time a (non-transactional) producer id shows up with an epoch the proxy has not seen for it, it asks
//! Tansu for a fresh producer id (InitProducerId v4, whose epoch and sequences start afresh) and from then on
//! rewrites that client epoch's record-batch headers (producer id, epoch, CRC-32C) to the fresh id.

use super::ports::free_port;
use super::tansu::Tansu;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// Kafka's MESSAGE_TOO_LARGE error code.
const MESSAGE_TOO_LARGE: i16 = 10;
/// The Produce API key.
const PRODUCE: i16 = 0;
/// The Produce versions this proxy parses.
const PRODUCE_VERSIONS: std::ops::RangeInclusive<i16> = 3..=10;
/// Largest frame accepted (a broker's `socket.request.max.bytes` is 100 MiB).
const MAX_FRAME: usize = 256 << 20;
/// The InitProducerId API key.
const INIT_PRODUCER_ID: i16 = 22;

/// A running proxy; stops accepting and closes its connections on drop.
pub struct SizeLimitProxy {
    port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: String,
    limit: usize,
    refused: AtomicU64,
    largest_accepted: AtomicUsize,
    epoch_bumps: AtomicU64,
    stopping: AtomicBool,
    producers: Mutex<Producers>,
    /// Both sockets of each open connection, to shut them down on drop.
    connections: Mutex<HashMap<u64, (TcpStream, TcpStream)>>,
}

/// Idempotent producers: the ids and epochs the clients use, and those Tansu knows.
#[derive(Default)]
struct Producers {
    /// Producer ids seen (in Produce requests, forwarded or refused).
    seen: HashSet<i64>,
    /// (producer id, epoch) in the client's batches → (producer id, epoch) forwarded to Tansu.
    forwarded_as: HashMap<(i64, i16), (i64, i16)>,
}

/// Tansu on a free port advertising a [`SizeLimitProxy`] in front of it, which enforces `limit` bytes per
/// partition's record batch. `Tansu::brokers()` is the direct address (for topic creation, say); clients
/// must use `proxy.brokers()`.
pub fn tansu_behind_proxy(limit: usize) -> (Tansu, SizeLimitProxy) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy's port");
    let proxy_port = listener.local_addr().expect("proxy address").port();
    let tansu_port = free_port();
    let tansu = Tansu::start_with(tansu_port, proxy_port, false);
    let proxy = SizeLimitProxy::start_on(listener, &tansu.brokers(), limit);
    (tansu, proxy)
}

impl SizeLimitProxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` ("127.0.0.1:PORT").
    pub fn start(upstream: &str, limit: usize) -> SizeLimitProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy's port");
        SizeLimitProxy::start_on(listener, upstream, limit)
    }

    /// Serves on `listener`, already bound (so that its port can be advertised by the broker started
    /// before the proxy), forwarding to `upstream`.
    pub fn start_on(listener: TcpListener, upstream: &str, limit: usize) -> SizeLimitProxy {
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            limit,
            refused: AtomicU64::new(0),
            largest_accepted: AtomicUsize::new(0),
            epoch_bumps: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            producers: Mutex::new(Producers::default()),
            connections: Mutex::new(HashMap::new()),
        });
        let accepting = Arc::clone(&shared);
        thread::Builder::new()
            .name(format!("size-limit-proxy-{port}"))
            .spawn(move || accept_loop(listener, accepting))
            .expect("spawn the proxy's accept thread");
        SizeLimitProxy { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` for Kafka clients.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Produce partitions refused so far.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Largest `records` field forwarded so far (bytes).
    pub fn largest_accepted(&self) -> usize {
        self.shared.largest_accepted.load(Ordering::SeqCst)
    }

    /// Epoch bumps of idempotent producers mapped to a fresh Tansu producer id so far.
    pub fn epoch_bumps(&self) -> u64 {
        self.shared.epoch_bumps.load(Ordering::SeqCst)
    }
}

impl Drop for SizeLimitProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees `stopping`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let connections = std::mem::take(&mut *self.shared.connections.lock().unwrap());
        for (client, upstream) in connections.values() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let id = next_id;
        next_id += 1;
        let shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("size-limit-proxy-conn-{id}"))
            .spawn(move || {
                if let Err(e) = serve(id, client, &shared) {
                    // A peer going away is the ordinary end of a connection, not worth a word.
                    let gone = matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof
                            | io::ErrorKind::BrokenPipe
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionAborted
                    );
                    if !gone && !shared.stopping.load(Ordering::SeqCst) {
                        eprintln!("size-limit proxy: connection {id} ended: {e}");
                    }
                }
                shared.connections.lock().unwrap().remove(&id);
            });
        if spawned.is_err() {
            eprintln!("size-limit proxy: cannot spawn a connection thread");
        }
    }
}

/// Serves one client connection until either side closes it.
fn serve(id: u64, mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut upstream = TcpStream::connect(&shared.upstream)?;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    shared
        .connections
        .lock()
        .unwrap()
        .insert(id, (client.try_clone()?, upstream.try_clone()?));
    if shared.stopping.load(Ordering::SeqCst) {
        return Ok(());
    }
    loop {
        let Some(mut request) = read_frame(&mut client)? else {
            return Ok(()); // the client closed the connection
        };
        let mut expects_response = true;
        if api_key(&request) == Some(PRODUCE) {
            let produce = parse_produce(&request).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("Produce request: {e}"))
            })?;
            expects_response = produce.acks != 0;
            let largest = produce
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| p.records.1))
                .max()
                .unwrap_or(0);
            let refuse = largest > shared.limit;
            if !produce.transactional {
                let upstream = if refuse { None } else { Some(&mut upstream) };
                map_producers(&mut request, &produce, upstream, shared)?;
            }
            if refuse {
                let partitions: usize = produce.topics.iter().map(|t| t.partitions.len()).sum();
                shared
                    .refused
                    .fetch_add(partitions as u64, Ordering::SeqCst);
                if expects_response {
                    write_frame(&mut client, &refusal(&produce))?;
                }
                continue;
            }
            shared.largest_accepted.fetch_max(largest, Ordering::SeqCst);
        }
        write_frame(&mut upstream, &request)?;
        if expects_response {
            let Some(response) = read_frame(&mut upstream)? else {
                return Ok(()); // the broker closed the connection
            };
            write_frame(&mut client, &response)?;
        }
    }
}

/// One frame's payload (without its i32 length), or `None` at a clean end of stream.
fn read_frame(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 4];
    match stream.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let length = i32::from_be_bytes(length);
    let length = usize::try_from(length)
        .ok()
        .filter(|&l| l <= MAX_FRAME)
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("frame length {length}"))
        })?;
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload)?;
    Ok(Some(payload))
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as i32).to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

fn api_key(request: &[u8]) -> Option<i16> {
    Some(i16::from_be_bytes(request.get(..2)?.try_into().ok()?))
}

/// What the proxy needs of a Produce request.
struct Produce {
    version: i16,
    correlation_id: i32,
    /// Whether transactional_id is set.
    transactional: bool,
    acks: i16,
    topics: Vec<TopicData>,
}

struct TopicData {
    name: String,
    partitions: Vec<PartitionData>,
}

struct PartitionData {
    index: i32,
    /// Where `records` is in the request, and its length (0 when null).
    records: (usize, usize),
}

/// Parses a Produce request (header v1 for versions 3 to 8, v2 for the flexible 9 and 10).
fn parse_produce(request: &[u8]) -> Result<Produce, String> {
    let mut r = Reader {
        buf: request,
        pos: 0,
    };
    let _api_key = r.i16()?;
    let version = r.i16()?;
    if !PRODUCE_VERSIONS.contains(&version) {
        return Err(format!(
            "version {version} is not handled (only {PRODUCE_VERSIONS:?})"
        ));
    }
    let flexible = version >= 9;
    let correlation_id = r.i32()?;
    // The client id stays a non-compact nullable string in header v2.
    r.nullable_string()?;
    if flexible {
        r.tagged_fields()?;
    }
    let transactional = if flexible {
        r.compact_nullable_string()?
    } else {
        r.nullable_string()?
    }
    .is_some();
    let acks = r.i16()?;
    let _timeout_ms = r.i32()?;
    let topic_count = r.array_len(flexible)?;
    let mut topics = Vec::with_capacity(topic_count.min(1024));
    for _ in 0..topic_count {
        let name = if flexible {
            r.compact_nullable_string()?
        } else {
            r.nullable_string()?
        }
        .ok_or("null topic name")?;
        let partition_count = r.array_len(flexible)?;
        let mut partitions = Vec::with_capacity(partition_count.min(1024));
        for _ in 0..partition_count {
            let index = r.i32()?;
            let records = if flexible {
                r.compact_nullable_bytes()?
            } else {
                r.nullable_bytes()?
            }
            .map_or((r.pos, 0), |bytes| (r.pos - bytes.len(), bytes.len()));
            if flexible {
                r.tagged_fields()?;
            }
            partitions.push(PartitionData { index, records });
        }
        if flexible {
            r.tagged_fields()?;
        }
        topics.push(TopicData { name, partitions });
    }
    if flexible {
        r.tagged_fields()?;
    }
    if r.pos != request.len() {
        return Err(format!(
            "{} trailing bytes after the body",
            request.len() - r.pos
        ));
    }
    Ok(Produce {
        version,
        correlation_id,
        transactional,
        acks,
        topics,
    })
}

/// The Produce response refusing every partition of `produce` with MESSAGE_TOO_LARGE (header v0 for
/// versions 3 to 8, v1 for 9 and 10).
fn refusal(produce: &Produce) -> Vec<u8> {
    const MESSAGE: &str = "record batch larger than the size-limit proxy's limit";
    let version = produce.version;
    let flexible = version >= 9;
    let mut w = Writer {
        buf: Vec::new(),
        flexible,
    };
    w.i32(produce.correlation_id);
    w.tagged_fields();
    w.array_len(produce.topics.len());
    for topic in &produce.topics {
        w.string(&topic.name);
        w.array_len(topic.partitions.len());
        for partition in &topic.partitions {
            w.i32(partition.index);
            w.i16(MESSAGE_TOO_LARGE);
            w.i64(-1); // base_offset
            w.i64(-1); // log_append_time_ms (v2+)
            if version >= 5 {
                w.i64(-1); // log_start_offset
            }
            if version >= 8 {
                w.array_len(0); // record_errors
                w.string(MESSAGE); // error_message
            }
            w.tagged_fields();
        }
        w.tagged_fields();
    }
    w.i32(0); // throttle_time_ms
    w.tagged_fields();
    w.buf
}

/// Notes the idempotent producers of `produce`'s record batches and, when `upstream` is given (the request
/// is to be forwarded), rewrites the batches of a client-bumped epoch to a fresh Tansu producer id.
fn map_producers(
    request: &mut [u8],
    produce: &Produce,
    mut upstream: Option<&mut TcpStream>,
    shared: &Shared,
) -> io::Result<()> {
    let mut producers = shared.producers.lock().unwrap();
    for partition in produce.topics.iter().flat_map(|t| &t.partitions) {
        let (start, len) = partition.records;
        for batch in batch_offsets(&request[start..start + len]) {
            let batch = &mut request[start + batch.0..start + batch.1];
            let producer_id = i64::from_be_bytes(batch[43..51].try_into().unwrap());
            let epoch = i16::from_be_bytes(batch[51..53].try_into().unwrap());
            if producer_id < 0 {
                continue; // not idempotent
            }
            let client = (producer_id, epoch);
            let known = producers.forwarded_as.get(&client).copied();
            let tansu = match known {
                Some(tansu) => tansu,
                None if producers.seen.insert(producer_id) => {
                    // First sighting: the epoch Tansu handed out.
                    producers.forwarded_as.insert(client, client);
                    client
                }
                None => {
                    let Some(upstream) = upstream.as_deref_mut() else {
                        continue; // refused: nothing to forward yet
                    };
                    let tansu = init_producer_id(upstream)?;
                    producers.forwarded_as.insert(client, tansu);
                    shared.epoch_bumps.fetch_add(1, Ordering::SeqCst);
                    tansu
                }
            };
            if tansu != client {
                batch[43..51].copy_from_slice(&tansu.0.to_be_bytes());
                batch[51..53].copy_from_slice(&tansu.1.to_be_bytes());
                let crc = crc32c(&batch[21..]);
                batch[17..21].copy_from_slice(&crc.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// (start, end) of each complete magic-2 record batch in a `records` field.
fn batch_offsets(records: &[u8]) -> Vec<(usize, usize)> {
    const HEADER: usize = 61; // up to and including the record count
    let mut batches = Vec::new();
    let mut pos = 0;
    while pos + HEADER <= records.len() {
        let length = i32::from_be_bytes(records[pos + 8..pos + 12].try_into().unwrap());
        let end = pos + 12 + usize::try_from(length).unwrap_or(0);
        if end < pos + HEADER || end > records.len() || records[pos + 16] != 2 {
            break;
        }
        batches.push((pos, end));
        pos = end;
    }
    batches
}

/// Asks the broker behind `upstream` for a new idempotent producer id: InitProducerId v4 (flexible, header
/// v2), with a null transactional id and producer id and epoch -1, the only form Tansu accepts for a
/// non-transactional producer.
fn init_producer_id(upstream: &mut TcpStream) -> io::Result<(i64, i16)> {
    const CORRELATION_ID: i32 = 0x5a11_0000;
    let client_id = b"size-limit-proxy";
    let mut request = Vec::new();
    request.extend_from_slice(&INIT_PRODUCER_ID.to_be_bytes());
    request.extend_from_slice(&4i16.to_be_bytes()); // version
    request.extend_from_slice(&CORRELATION_ID.to_be_bytes());
    request.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    request.extend_from_slice(client_id);
    request.push(0); // header tagged fields
    request.push(0); // transactional_id: null
    request.extend_from_slice(&60_000i32.to_be_bytes()); // transaction_timeout_ms
    request.extend_from_slice(&(-1i64).to_be_bytes()); // producer_id
    request.extend_from_slice(&(-1i16).to_be_bytes()); // producer_epoch
    request.push(0); // tagged fields
    write_frame(upstream, &request)?;
    let response = read_frame(upstream)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "broker closed on InitProducerId",
        )
    })?;
    let fail = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut r = Reader {
        buf: &response,
        pos: 0,
    };
    let correlation_id = r.i32().map_err(fail)?;
    r.tagged_fields().map_err(fail)?;
    let _throttle_time_ms = r.i32().map_err(fail)?;
    let error_code = r.i16().map_err(fail)?;
    let producer_id = i64::from_be_bytes(r.take(8).map_err(fail)?.try_into().unwrap());
    let epoch = r.i16().map_err(fail)?;
    if correlation_id != CORRELATION_ID || error_code != 0 {
        return Err(fail(format!(
            "InitProducerId: correlation id {correlation_id:#x}, error code {error_code}"
        )));
    }
    Ok((producer_id, epoch))
}

/// CRC-32C (Castagnoli), as in record batches.
fn crc32c(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0x82f6_3b78
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    !data.iter().fold(!0u32, |crc, &byte| {
        TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8)
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| format!("truncated: {n} bytes wanted at offset {}", self.pos))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn i16(&mut self) -> Result<i16, String> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn uvarint(&mut self) -> Result<u32, String> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("unsigned varint too long at offset {}", self.pos))
    }

    /// An i16-length string, -1 = null.
    fn nullable_string(&mut self) -> Result<Option<String>, String> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(None);
        }
        let bytes = self.take(len as usize)?;
        Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A uvarint (length + 1) string, 0 = null.
    fn compact_nullable_string(&mut self) -> Result<Option<String>, String> {
        Ok(self
            .compact_nullable_bytes()?
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()))
    }

    /// i32-length bytes, -1 = null.
    fn nullable_bytes(&mut self) -> Result<Option<&'a [u8]>, String> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        self.take(len as usize).map(Some)
    }

    /// uvarint (length + 1) bytes, 0 = null.
    fn compact_nullable_bytes(&mut self) -> Result<Option<&'a [u8]>, String> {
        match self.uvarint()? {
            0 => Ok(None),
            n => self.take(n as usize - 1).map(Some),
        }
    }

    /// An i32 count (non-flexible) or a uvarint count + 1 (flexible); null counts as empty.
    fn array_len(&mut self, flexible: bool) -> Result<usize, String> {
        if flexible {
            Ok((self.uvarint()? as usize).saturating_sub(1))
        } else {
            Ok(usize::try_from(self.i32()?).unwrap_or(0))
        }
    }

    /// Skips a tagged-fields section.
    fn tagged_fields(&mut self) -> Result<(), String> {
        for _ in 0..self.uvarint()? {
            let _tag = self.uvarint()?;
            let size = self.uvarint()?;
            self.take(size as usize)?;
        }
        Ok(())
    }
}

/// Encodes in the non-flexible or the flexible (compact, tagged) form.
struct Writer {
    buf: Vec<u8>,
    flexible: bool,
}

impl Writer {
    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.buf.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn array_len(&mut self, n: usize) {
        if self.flexible {
            self.uvarint(n as u32 + 1);
        } else {
            self.i32(n as i32);
        }
    }

    fn string(&mut self, s: &str) {
        if self.flexible {
            self.uvarint(s.len() as u32 + 1);
        } else {
            self.i16(s.len() as i16);
        }
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// An empty tagged-fields section (flexible versions only).
    fn tagged_fields(&mut self) {
        if self.flexible {
            self.uvarint(0);
        }
    }
}
