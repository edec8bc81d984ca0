//! A small builder for statements with a variable number of `$n` parameters (both databases
//! accept `$n`, which sqlx's own builder does not produce for the `Any` driver).

use super::StoreError;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Arguments};

#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments<'static>,
    count: usize,
    /// Planned for its values on every run instead of prepared once (see [`Sql::one_off`]).
    one_off: bool,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_owned(), ..Sql::default() }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.count += 1;
        self.text.push_str(&format!("${}", self.count));
        // Encoding a String or i64 into AnyArguments cannot fail.
        let _ = self.args.add(value);
        self
    }

    /// Appends `$a, $b, …` bound to the values.
    pub fn bind_list(&mut self, values: &[String]) -> &mut Sql {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value.clone());
        }
        self
    }

    /// Runs the statement unprepared, planned for its values every time. Postgres plans a
    /// prepared statement once for values it cannot see after five runs, and some statements
    /// have no plan that suits all values.
    pub fn one_off(&mut self) -> &mut Sql {
        self.one_off = true;
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub async fn fetch_all(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sqlx::query_with(&self.text, self.args).persistent(!self.one_off).fetch_all(conn).await?)
    }

    /// Runs the statement; answers how many rows it wrote.
    pub async fn execute(self, conn: &mut AnyConnection) -> Result<u64, StoreError> {
        Ok(sqlx::query_with(&self.text, self.args).persistent(!self.one_off).execute(conn).await?.rows_affected())
    }

    pub async fn fetch_one(self, conn: &mut AnyConnection) -> Result<AnyRow, StoreError> {
        Ok(sqlx::query_with(&self.text, self.args).persistent(!self.one_off).fetch_one(conn).await?)
    }
}
