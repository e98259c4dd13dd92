//! Parquet input (feature `parquet`): files written at test time with the `parquet` crate's
//! writer (several row groups, nulls, NaN, strings, booleans, dates; each supported codec)
//! read into the same tables, drift reports, profiles and events as the same data as CSV;
//! truncated and corrupt files are clear errors, never panics.

use std::path::Path;
use std::sync::Arc;

use airm_core::Timestamp;
use airm_monitor::drift::{compare, DriftOptions};
use airm_monitor::event::{self, Limits};
use airm_monitor::profile::{Profile, ProfileOptions};
use airm_monitor::reader::{read_from, read_table, FileFormat, ReadOptions};
use parquet::basic::{Compression, GzipLevel};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FloatType, Int32Type, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

const SCHEMA: &str = "message spark_schema {
    OPTIONAL DOUBLE x;
    REQUIRED INT64 n;
    OPTIONAL BYTE_ARRAY city (UTF8);
    OPTIONAL BOOLEAN flag;
    OPTIONAL FLOAT f;
    OPTIONAL INT32 d (DATE);
}";

/// One row: `None` is null; `x` may be NaN.
#[derive(Clone)]
struct Row {
    x: Option<f64>,
    n: i64,
    city: Option<&'static str>,
    flag: Option<bool>,
    f: Option<f32>,
    d: Option<i32>,
}

fn rows(count: usize, seed: u64, shift: f64) -> Vec<Row> {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s >> 11
    };
    let cities = ["oslo", "bergen", "tromsø", "NA", " 1.50", "x y"];
    (0..count)
        .map(|_| {
            let r = next();
            let u = (next() as f64) / (1u64 << 53) as f64;
            Row {
                x: match r % 17 {
                    0 => None,
                    1 => Some(f64::NAN),
                    _ => Some(u * 10.0 + shift),
                },
                n: (r % 1000) as i64 - 500,
                city: (r % 11 != 0).then(|| cities[(next() % 6) as usize]),
                flag: (r % 7 != 0).then_some(r % 3 == 0),
                f: (r % 5 != 0).then(|| (u * 100.0) as f32 / 8.0),
                d: (r % 13 != 0).then(|| 19_700 + (next() % 40) as i32),
            }
        })
        .collect()
}

fn date_text(days: i32) -> String {
    Timestamp(i64::from(days) * 86_400_000).to_string()[..10].to_string()
}

fn to_csv(rows: &[Row]) -> String {
    let mut out = String::from("x,n,city,flag,f,d\n");
    for r in rows {
        let x = r.x.map_or(String::new(), |x| format!("{x}"));
        let f = r.f.map_or(String::new(), |f| format!("{}", f64::from(f)));
        let flag = r.flag.map_or(String::new(), |b| b.to_string());
        let d = r.d.map_or(String::new(), date_text);
        out.push_str(&format!(
            "{x},{},{},{flag},{f},{d}\n",
            r.n,
            r.city.unwrap_or("")
        ));
    }
    out
}

/// Definition levels and the non-null values of an optional column.
fn split<T: Clone>(v: impl Iterator<Item = Option<T>>) -> (Vec<T>, Vec<i16>) {
    let mut vals = Vec::new();
    let mut defs = Vec::new();
    for x in v {
        defs.push(i16::from(x.is_some()));
        vals.extend(x);
    }
    (vals, defs)
}

/// Writes `rows` as Parquet in row groups of `group` rows.
fn to_parquet(rows: &[Row], group: usize, codec: Compression) -> Vec<u8> {
    let schema = Arc::new(parse_message_type(SCHEMA).expect("schema"));
    let props = Arc::new(WriterProperties::builder().set_compression(codec).build());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).expect("writer");
    for chunk in rows.chunks(group) {
        let mut rg = w.next_row_group().expect("row group");
        let mut i = 0;
        while let Some(mut col) = rg.next_column().expect("column") {
            match i {
                0 => {
                    let (v, d) = split(chunk.iter().map(|r| r.x));
                    col.typed::<DoubleType>().write_batch(&v, Some(&d), None)
                }
                1 => {
                    let v: Vec<i64> = chunk.iter().map(|r| r.n).collect();
                    col.typed::<Int64Type>().write_batch(&v, None, None)
                }
                2 => {
                    let (v, d) = split(chunk.iter().map(|r| r.city.map(ByteArray::from)));
                    col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None)
                }
                3 => {
                    let (v, d) = split(chunk.iter().map(|r| r.flag));
                    col.typed::<BoolType>().write_batch(&v, Some(&d), None)
                }
                4 => {
                    let (v, d) = split(chunk.iter().map(|r| r.f));
                    col.typed::<FloatType>().write_batch(&v, Some(&d), None)
                }
                _ => {
                    let (v, d) = split(chunk.iter().map(|r| r.d));
                    col.typed::<Int32Type>().write_batch(&v, Some(&d), None)
                }
            }
            .expect("write");
            col.close().expect("close column");
            i += 1;
        }
        rg.close().expect("close row group");
    }
    w.into_inner().expect("finish")
}

fn read_bytes(
    bytes: &[u8],
    format: FileFormat,
) -> airm_monitor::Result<airm_monitor::table::Table> {
    read_from(Path::new("t"), bytes, format, &ReadOptions::default())
}

#[test]
fn parquet_reads_like_the_same_data_as_csv() {
    let data = rows(2_500, 7, 0.0);
    let csv = read_bytes(
        to_csv(&data).as_bytes(),
        FileFormat::Csv { delimiter: b',' },
    )
    .expect("csv");
    for codec in [
        Compression::UNCOMPRESSED,
        Compression::SNAPPY,
        Compression::GZIP(GzipLevel::default()),
        Compression::LZ4_RAW,
        Compression::LZ4,
    ] {
        let pq = read_bytes(&to_parquet(&data, 700, codec), FileFormat::Parquet)
            .unwrap_or_else(|e| panic!("{codec:?}: {e}"));
        assert_eq!(pq, csv, "{codec:?}");
    }
    // The kinds the CSV path gives: numbers, text (with `NA` missing and ` 1.50` → `1.5`),
    // booleans and dates as categories.
    let kinds: Vec<_> = csv
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind()))
        .collect();
    use airm_monitor::table::Kind::{Categorical, Numeric};
    assert_eq!(
        kinds,
        [
            ("x", Numeric),
            ("n", Numeric),
            ("city", Categorical),
            ("flag", Categorical),
            ("f", Numeric),
            ("d", Categorical)
        ]
    );
    let x = csv.column("x").expect("x");
    assert!(x.missing > 0 && x.count() + x.missing == 2_500);
}

#[test]
fn drift_and_profile_of_parquet_equal_those_of_csv() {
    let dir = std::env::temp_dir().join(format!("airm-pq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let reference = rows(3_000, 1, 0.0);
    let current = rows(2_000, 2, 0.7);
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    // Named `.csv` and `.bin`: the content decides, not the extension.
    let ref_pq = write(
        "ref.bin",
        &to_parquet(&reference, 1_000, Compression::SNAPPY),
    );
    let cur_pq = write(
        "cur.csv",
        &to_parquet(&current, 333, Compression::UNCOMPRESSED),
    );
    let ref_csv = write("ref.txt", to_csv(&reference).as_bytes());
    let cur_csv = write("cur.txt", to_csv(&current).as_bytes());
    let opts = ReadOptions::default();
    let read = |p: &Path| read_table(p, &opts).expect("read");
    let drift_pq = compare(read(&ref_pq), read(&cur_pq), &DriftOptions::default()).expect("drift");
    let drift_csv =
        compare(read(&ref_csv), read(&cur_csv), &DriftOptions::default()).expect("drift");
    let json = |r| serde_json::to_string(r).expect("json");
    assert_eq!(json(&drift_pq), json(&drift_csv));
    assert!(drift_pq.columns.iter().any(|c| c.drifted), "x is shifted");
    let popts = ProfileOptions::default();
    let prof_pq = Profile::from_table(read(&ref_pq), &popts);
    let prof_csv = Profile::from_table(read(&ref_csv), &popts);
    assert_eq!(prof_pq, prof_csv);
    // Selected columns and forced kinds apply as for CSV.
    let sel = ReadOptions {
        columns: Some(vec!["n".into(), "city".into()]),
        categorical: vec!["n".into()],
        ..ReadOptions::default()
    };
    let a = read_table(&ref_pq, &sel).expect("pq");
    let b = read_table(&ref_csv, &sel).expect("csv");
    assert_eq!(a, b);
    assert_eq!(a.columns.len(), 2);
    let missing = ReadOptions {
        columns: Some(vec!["nope".into()]),
        ..ReadOptions::default()
    };
    let e = read_table(&ref_pq, &missing).expect_err("no column");
    assert!(e.to_string().ends_with("no column `nope`"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_parquet_files_are_clear_errors() {
    let good = to_parquet(&rows(500, 3, 0.0), 200, Compression::SNAPPY);
    let err = |b: &[u8]| {
        read_bytes(b, FileFormat::Parquet)
            .expect_err("must fail")
            .to_string()
    };
    let e = err(&good[..good.len() / 2]);
    assert!(e.contains("truncated or corrupt Parquet file"), "{e}");
    let e = err(b"PAR1");
    assert!(e.contains("truncated Parquet file (4 bytes)"), "{e}");
    let e = err(b"x,y\n1,2\n3,4\n");
    assert!(e.contains("not a Parquet file"), "{e}");
    // A footer length pointing outside the file.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = err(&bad);
    assert!(e.contains("not a readable Parquet file"), "{e}");
    // Garbage between the magics.
    let mut junk = b"PAR1".to_vec();
    junk.extend((0..300u32).map(|i| (i * 37 % 251) as u8));
    junk.extend(200u32.to_le_bytes());
    junk.extend(b"PAR1");
    let e = err(&junk);
    assert!(e.contains("Parquet"), "{e}");
    // Caps: values and columns.
    let small = ReadOptions {
        max_values: 100,
        ..ReadOptions::default()
    };
    let e = read_from(Path::new("t"), &good[..], FileFormat::Parquet, &small).expect_err("cap");
    assert!(e.to_string().contains("more than 100 values"), "{e}");
    let few = ReadOptions {
        max_columns: 3,
        ..ReadOptions::default()
    };
    let e = read_from(Path::new("t"), &good[..], FileFormat::Parquet, &few).expect_err("cols");
    assert!(e.to_string().contains("6 columns (at most 3)"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Damaged files (bytes overwritten anywhere, or cut) give an error or a consistent
    /// table, never a panic that escapes.
    #[test]
    fn damaged_parquet_never_panics(
        edits in proptest::collection::vec((0usize..4000, proptest::prelude::any::<u8>()), 1..8),
        cut in 0usize..4000,
    ) {
        let good = to_parquet(&rows(120, 5, 0.0), 50, Compression::SNAPPY);
        let mut bad = good.clone();
        for (i, b) in edits {
            let n = bad.len();
            bad[i % n] = b;
        }
        let opts = ReadOptions { max_values: 10_000, ..ReadOptions::default() };
        for bytes in [&bad[..], &good[..cut.min(good.len())]] {
            if let Ok(t) = read_from(Path::new("t"), bytes, FileFormat::Parquet, &opts) {
                for c in &t.columns {
                    proptest::prop_assert_eq!(c.seen, t.rows);
                    proptest::prop_assert_eq!(c.count() + c.missing, t.rows);
                }
            }
        }
    }
}

#[test]
fn parquet_events_equal_csv_events() {
    let schema = Arc::new(
        parse_message_type(
            "message schema {
                REQUIRED BYTE_ARRAY id (UTF8);
                OPTIONAL INT64 time (TIMESTAMP_MILLIS);
                OPTIONAL DOUBLE age;
                OPTIONAL BYTE_ARRAY city (UTF8);
                OPTIONAL INT32 prediction;
                OPTIONAL DOUBLE score;
                OPTIONAL BOOLEAN label;
                OPTIONAL BYTE_ARRAY meta.key (UTF8);
            }",
        )
        .expect("schema"),
    );
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(Vec::new(), schema, props).expect("writer");
    let mut rg = w.next_row_group().expect("rg");
    let mut i = 0;
    while let Some(mut col) = rg.next_column().expect("col") {
        let r = match i {
            0 => col.typed::<ByteArrayType>().write_batch(
                &["a".into(), "b".into(), "c".into()],
                None,
                None,
            ),
            1 => col.typed::<Int64Type>().write_batch(
                &[1_700_000_000_000, 1_700_000_060_500],
                Some(&[1, 1, 0]),
                None,
            ),
            2 => col
                .typed::<DoubleType>()
                .write_batch(&[31.5, f64::NAN], Some(&[1, 0, 1]), None),
            3 => col.typed::<ByteArrayType>().write_batch(
                &["Oslo".into(), "NA".into()],
                Some(&[1, 1, 0]),
                None,
            ),
            4 => col
                .typed::<Int32Type>()
                .write_batch(&[1, 0, 1], Some(&[1, 1, 1]), None),
            5 => {
                col.typed::<DoubleType>()
                    .write_batch(&[0.9, 0.2, f64::NAN], Some(&[1, 1, 1]), None)
            }
            6 => col
                .typed::<BoolType>()
                .write_batch(&[true, false], Some(&[1, 0, 1]), None),
            _ => col
                .typed::<ByteArrayType>()
                .write_batch(&["k1".into()], Some(&[1, 0, 0]), None),
        };
        r.expect("write");
        col.close().expect("close");
        i += 1;
    }
    rg.close().expect("close rg");
    let bytes = w.into_inner().expect("finish");
    let csv = "id,time,age,city,prediction,score,label,meta.key\n\
               a,2023-11-14T22:13:20.000Z,31.5,Oslo,1,0.9,true,k1\n\
               b,2023-11-14T22:14:20.500Z,,NA,0,0.2,,\n\
               c,,NaN,,1,NaN,false,\n";
    let now = Timestamp(1_800_000_000_000);
    let limits = Limits::default();
    let from_csv = event::read_csv(csv.as_bytes(), "m", now, &limits).expect("csv");
    let from_pq = event::read_parquet(bytes.clone(), "m", now, &limits).expect("parquet");
    assert_eq!(from_pq.events, from_csv.events);
    assert_eq!(from_pq.events.len(), 2);
    // Row 3's NaN score is rejected in both; Parquet rows are numbered from 1, CSV
    // records from the header line.
    let lines = |f: &event::FileEvents| f.rejected.iter().map(|r| r.line).collect::<Vec<_>>();
    assert_eq!((lines(&from_pq), lines(&from_csv)), (vec![3], vec![4]));
    let e = event::read_parquet(bytes[..bytes.len() - 3].to_vec(), "m", now, &limits)
        .expect_err("truncated");
    assert!(e.to_string().contains("truncated"), "{e}");
    let tight = Limits {
        max_events: 2,
        ..Limits::default()
    };
    let e = event::read_parquet(bytes, "m", now, &tight).expect_err("too many");
    assert!(e.to_string().contains("too many events"), "{e}");
}
