//! Black-box API tests live in `tests/api/` once the HTTP adapter exists.
