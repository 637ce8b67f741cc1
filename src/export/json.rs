//! NDJSON from a record batch: one object per row, keys in column order, a null column left out (the JSON
//! contract's "absent when unknown"), timestamps in RFC 3339 UTC with microseconds, lists as arrays.
//!
//! Written here over the few Arrow types [`super::rows::Type`] uses rather than with `arrow-json`, which
//! would bring in the whole of Arrow's cast kernels for them.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde_json::Value;

use crate::time::Timestamp;

/// The batch as NDJSON bytes.
pub fn encode(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let schema = batch.schema();
    let mut out = Vec::new();
    for row in 0..batch.num_rows() {
        // Keys in column order (a serde_json map would sort them).
        out.push(b'{');
        let mut first = true;
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            if let Some(v) = value(column, row)? {
                if !first {
                    out.push(b',');
                }
                first = false;
                serde_json::to_writer(&mut out, field.name()).map_err(|e| e.to_string())?;
                out.push(b':');
                serde_json::to_writer(&mut out, &v).map_err(|e| e.to_string())?;
            }
        }
        out.extend_from_slice(b"}\n");
    }
    Ok(out)
}

fn rfc3339_micros(us: i64) -> Value {
    let t = Timestamp {
        secs: us.div_euclid(1_000_000),
        nanos: (us.rem_euclid(1_000_000) as u32) * 1000,
    };
    Value::String(t.rfc3339())
}

/// Row `i` of `a` as JSON; `None` when null.
fn value(a: &ArrayRef, i: usize) -> Result<Option<Value>, String> {
    if a.is_null(i) {
        return Ok(None);
    }
    Ok(Some(match a.data_type() {
        DataType::Int32 => Value::from(a.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(i)),
        DataType::Float64 => {
            let f = a.as_primitive::<Float64Type>().value(i);
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_string()),
        DataType::Timestamp(_, _) => {
            rfc3339_micros(a.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(i);
            let mut v = Vec::with_capacity(items.len());
            for j in 0..items.len() {
                v.push(value(&items, j)?.unwrap_or(Value::Null));
            }
            Value::Array(v)
        }
        other => return Err(format!("no JSON form for the Arrow type {other}")),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::rows::{Column, Rows, Type, col};
    use super::*;

    static COLS: &[Column] = &[
        col("capture_id", Type::Utf8, ""),
        col("t", Type::Timestamp, ""),
        col("argv", Type::ListUtf8, ""),
        col("n", Type::Int64, ""),
    ];

    #[test]
    fn rows_are_objects_without_nulls() {
        let mut r = Rows::new(COLS);
        r.str(Some("x"))
            .ts(Some(Timestamp {
                secs: 1_795_355_238,
                nanos: 250_000_000,
            }))
            .list_str(Some(&["a\nb", "\\x00"]))
            .i64(None);
        r.end();
        let text = String::from_utf8(encode(&r.finish().unwrap()).unwrap()).unwrap();
        assert_eq!(
            text,
            "{\"capture_id\":\"x\",\"t\":\"2026-11-22T13:47:18.25Z\",\"argv\":[\"a\\nb\",\"\\\\x00\"]}\n"
        );
    }
}
