"""Writes Parquet, Feather v2 and Arrow IPC files with pyarrow into DIR, for checking the
hand-written readers of `airm discover` against files of the reference implementation:

    python3 -m venv target/pyarrow-venv && target/pyarrow-venv/bin/pip install pyarrow
    target/pyarrow-venv/bin/python bench/discover_pyarrow_files.py /tmp/pa
    cargo run -p airm-scan --example discover_tree -- --json /tmp/pa

Every file has 1000 rows and the columns id, Email, customer{phone_number, zip}, tags,
score; row groups / record batches: t.parquet 4, t-snappy-v1.parquet 1, t.feather 4,
t-zstd.feather 3, t-stream.arrow 4, t-file.arrow 2. Optional, not part of CI."""
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.feather as feather, pyarrow.ipc as ipc, sys
d = sys.argv[1]
t = pa.table({
    "id": pa.array(range(1000), pa.int64()),
    "Email": pa.array([f"u{i}@x.example" for i in range(1000)]),
    "customer": pa.array([{"phone_number": "+1 415 555 0123", "zip": "94107"}] * 1000),
    "tags": pa.array([["a", "b"]] * 1000),
    "score": pa.array([0.5] * 1000),
})
pq.write_table(t, f"{d}/t.parquet", row_group_size=300)
pq.write_table(t, f"{d}/t-snappy-v1.parquet", row_group_size=1000, compression="snappy", version="1.0")
feather.write_feather(t, f"{d}/t.feather", chunksize=250)
feather.write_feather(t, f"{d}/t-zstd.feather", compression="zstd", chunksize=400)
with ipc.new_stream(f"{d}/t-stream.arrow", t.schema) as w:
    for b in t.to_batches(max_chunksize=333):
        w.write_batch(b)
with ipc.new_file(f"{d}/t-file.arrow", t.schema) as w:
    w.write_table(t, max_chunksize=600)
print(t.schema.names)
