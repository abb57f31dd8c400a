ALTER TABLE refresh_tokens DROP COLUMN successor_mask;
ALTER TABLE refresh_tokens DROP COLUMN retired_at;
