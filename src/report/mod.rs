//! Reports: views of the model, rendered as tables, JSON, NDJSON or CSV.
