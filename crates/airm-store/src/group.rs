//! Group commit for the activity log: many concurrent callers append events, one writer
//! task seals them in batches (one transaction per batch), and each caller is answered
//! only after its batch committed. The gateway and API never wait for a transaction of
//! their own, and an acknowledged event is durable.

use airm_core::AuditEvent;
use tokio::sync::{mpsc, oneshot};

use crate::{DynStore, NewEvent, Result, StoreError};

/// Largest batch sealed in one transaction.
pub const MAX_BATCH: usize = 2048;

type Request = (
    NewEvent,
    oneshot::Sender<std::result::Result<AuditEvent, String>>,
);

/// A handle to the activity-log writer. Cloning is cheap; the writer stops when every
/// handle is dropped, after finishing queued events.
#[derive(Clone)]
pub struct EventLog {
    tx: mpsc::Sender<Request>,
    store: DynStore,
}

impl EventLog {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(store: DynStore) -> Self {
        let (tx, rx) = mpsc::channel::<Request>(16 * MAX_BATCH);
        tokio::spawn(writer(store.clone(), rx));
        EventLog { tx, store }
    }

    /// The store the log writes to.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// Appends one event; returns once it is durable, with its sequence number.
    pub async fn append(&self, event: NewEvent) -> Result<AuditEvent> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send((event, ack))
            .await
            .map_err(|_| StoreError::LogWriter("the writer has stopped".into()))?;
        match done.await {
            Ok(Ok(e)) => Ok(e),
            Ok(Err(msg)) => Err(StoreError::LogWriter(msg)),
            Err(_) => Err(StoreError::LogWriter(
                "the writer stopped before committing".into(),
            )),
        }
    }
}

async fn writer(store: DynStore, mut rx: mpsc::Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let (events, acks): (Vec<NewEvent>, Vec<_>) = batch.drain(..).unzip();
        match store.append_events(events).await {
            Ok(sealed) => {
                for (ack, entry) in acks.into_iter().zip(sealed) {
                    let _ = ack.send(Ok(entry.event));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Activity-log batch failed");
                let msg = e.to_string();
                for ack in acks {
                    let _ = ack.send(Err(msg.clone()));
                }
            }
        }
    }
}
