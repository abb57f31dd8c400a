-- The refresh grace window (auth.refresh_reuse_grace_secs): when a token was retired, and its
-- successor masked with a key only the retired token itself yields, so the second of two tabs
-- that refresh at once can be handed the pair the first one got. No token is stored in plain text.
ALTER TABLE refresh_tokens ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE refresh_tokens ADD COLUMN successor_mask TEXT;
