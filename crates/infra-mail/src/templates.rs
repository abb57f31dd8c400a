//! `email.templates_dir`: the operator's template files, read once at start-up and checked
//! there (a bad file stops the start, naming it), so no request reads the disk for a message.

use crate::MailSettingsError;
use domain::MailComposer;
use domain::messages::{StandardMessages, TemplatedMessages};
use std::sync::Arc;

/// `standard`, with the parts the files of `email.templates_dir` (`templates_dir`) replace when
/// it is set.
///
/// # Errors
/// [`MailSettingsError::Templates`] when the folder or one of its files cannot be read or used.
pub fn composer(templates_dir: Option<&str>, standard: StandardMessages) -> Result<Arc<dyn MailComposer>, MailSettingsError> {
    let Some(dir) = templates_dir.filter(|d| !d.trim().is_empty()) else {
        return Ok(Arc::new(standard));
    };
    let failed = |reason: String| MailSettingsError::Templates { dir: dir.to_owned(), reason };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| failed(e.to_string()))? {
        let path = entry.map_err(|e| failed(e.to_string()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
        // Hidden files (editor backups, .keep) and folders are not templates.
        let Some(name) = name.filter(|n| !n.starts_with('.') && path.is_file()) else { continue };
        let source = std::fs::read_to_string(&path).map_err(|e| failed(format!("{name}: {e}")))?;
        files.push((name, source));
    }
    let messages = TemplatedMessages::new(standard, files).map_err(|e| failed(e.to_string()))?;
    tracing::info!(dir, parts = messages.replaced(), "email templates loaded");
    Ok(Arc::new(messages))
}
