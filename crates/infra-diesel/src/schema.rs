//! The tables, as diesel sees them. Only SQL types that `MultiConnection` supports on every
//! backend appear here (`Text`, `Bool`, `Timestamp`, `Date`), so one query serves all three.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        role -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified -> Bool,
        pending_email -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
        amr -> Text,
    }
}

diesel::table! {
    refresh_tokens (digest) {
        digest -> Text,
        session_id -> Text,
        retired -> Bool,
        retired_at -> Nullable<Timestamp>,
        successor_mask -> Nullable<Text>,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        project_id -> Text,
        title -> Text,
        description -> Text,
        status -> Text,
        priority -> Text,
        due_date -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(projects -> users (owner_id));
diesel::joinable!(tasks -> projects (project_id));

diesel::allow_tables_to_appear_in_same_query!(users, sessions, refresh_tokens, projects, tasks);

diesel::table! {
    attempt_counters (counter_key) {
        counter_key -> Text,
        attempts -> Integer,
        ends_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (job) {
        job -> Text,
        holder -> Text,
        lease_until -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        kind -> Text,
        user_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        session_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        created_at -> Timestamp,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_links (digest) {
        digest -> Text,
        user_id -> Text,
        purpose -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(email_links -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(email_links, users);

diesel::table! {
    totp_factors (user_id) {
        user_id -> Text,
        key_id -> Text,
        secret -> Text,
        confirmed_at -> Nullable<Timestamp>,
        enrolment_expires_at -> Timestamp,
        last_step -> BigInt,
    }
}

diesel::table! {
    recovery_codes (user_id, digest) {
        user_id -> Text,
        digest -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mfa_challenges (digest) {
        digest -> Text,
        user_id -> Text,
        amr -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        failures -> Integer,
    }
}

diesel::table! {
    personal_access_tokens (id) {
        id -> Text,
        user_id -> Text,
        digest -> Text,
        name -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(personal_access_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(personal_access_tokens, users);

diesel::table! {
    identities (id) {
        id -> Text,
        user_id -> Text,
        provider -> Text,
        issuer -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        linked_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_flows (digest) {
        digest -> Text,
        provider -> Text,
        user_id -> Nullable<Text>,
        app_challenge -> Nullable<Text>,
        redirect_uri -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oidc_codes (digest) {
        digest -> Text,
        user_id -> Text,
        provider -> Text,
        redirect_uri -> Text,
        app_challenge -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        credential_id -> Text,
        name -> Text,
        credential -> Text,
        counter -> BigInt,
        backed_up -> Bool,
        transports -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    passkey_challenges (id) {
        id -> Text,
        purpose -> Text,
        user_id -> Nullable<Text>,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(passkeys -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(passkeys, users);
