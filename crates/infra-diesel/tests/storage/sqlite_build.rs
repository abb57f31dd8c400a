//! The bundled SQLite is built with the options `.cargo/config.toml` sets (`LIBSQLITE3_FLAGS`).
//! Losing one costs no correctness but real speed (that file says what each is worth), and
//! nothing else would notice.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

#[test]
fn bundled_sqlite_has_the_configured_options() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let options: Vec<String> = diesel::select(sql::<Text>("compile_options FROM pragma_compile_options")).load(&mut conn).unwrap();
    for option in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0", "THREADSAFE=2"] {
        assert!(options.iter().any(|o| o == option), "SQLite was built without {option}: {options:?}");
    }
}
