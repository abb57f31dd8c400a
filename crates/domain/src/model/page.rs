/// The largest offset a page request may ask for; far beyond any real collection, small enough
/// for every database's `OFFSET`.
pub const MAX_OFFSET: u64 = i32::MAX as u64;

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` outside 1..=100.
    #[error("must be between 1 and {}", PageRequest::MAX_LIMIT)]
    Limit,
    /// `offset` negative or beyond [`MAX_OFFSET`].
    #[error("must be between 0 and {MAX_OFFSET}")]
    Offset,
}

/// Which slice of a collection to return: `limit` 1..=100 (default 20), `offset` from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    offset: u64,
}

impl PageRequest {
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 20;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 100;

    /// Checks a request; absent values take their defaults.
    ///
    /// # Errors
    /// [`PageError::Limit`] or [`PageError::Offset`] for a value out of range.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(i64::from(Self::DEFAULT_LIMIT));
        let offset = offset.unwrap_or(0);
        let limit = u32::try_from(limit).ok().filter(|l| (1..=Self::MAX_LIMIT).contains(l)).ok_or(PageError::Limit)?;
        let offset = u64::try_from(offset).ok().filter(|o| *o <= MAX_OFFSET).ok_or(PageError::Offset)?;
        Ok(Self { limit, offset })
    }

    /// How many items at most.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// How many items to skip.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }
}

/// One page of a collection, with the size of the whole collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page, in the collection's order.
    pub items: Vec<T>,
    /// How many items the whole collection has.
    pub total: u64,
    /// The limit that was applied.
    pub limit: u32,
    /// The offset that was applied.
    pub offset: u64,
}

impl<T> Page<T> {
    /// Assembles a page from what a store returned for `request`.
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self { items, total, limit: request.limit, offset: request.offset }
    }

    /// Converts every item, keeping the paging figures.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total, limit: self.limit, offset: self.offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_twenty_from_the_start() {
        let p = PageRequest::new(None, None).unwrap();
        assert_eq!((p.limit(), p.offset()), (20, 0));
    }

    #[test]
    fn bounds_limit_and_offset() {
        assert!(PageRequest::new(Some(1), Some(0)).is_ok());
        assert!(PageRequest::new(Some(100), Some(MAX_OFFSET as i64)).is_ok());
        assert_eq!(PageRequest::new(Some(0), None), Err(PageError::Limit));
        assert_eq!(PageRequest::new(Some(101), None), Err(PageError::Limit));
        assert_eq!(PageRequest::new(Some(-1), None), Err(PageError::Limit));
        assert_eq!(PageRequest::new(None, Some(-1)), Err(PageError::Offset));
        assert_eq!(PageRequest::new(None, Some(MAX_OFFSET as i64 + 1)), Err(PageError::Offset));
    }
}
