//! Request and response bodies, one file per route module (`auth`, `token`, `me`, `users`,
//! `projects`, `tasks`, `system`), plus what they share: pagination (`page`), partial-update
//! fields and the field-error collector (`fields`), the JSON Schema of the domain's rules
//! (`field_schemas`) and fast timestamps (`time`). Requests are read as plain JSON shapes and
//! converted into domain commands with `into_*` methods that report every invalid field at
//! once; responses are separate structs built from domain entities, never from storage rows.

mod audit;
mod auth;
pub mod field_schemas;
mod fields;
mod identities;
mod links;
mod me;
pub(crate) mod mfa;
mod page;
pub(crate) mod passkeys;
mod pats;
mod projects;
mod system;
mod tasks;
mod time;
mod token;
mod users;
mod wire_enum;

pub use audit::{AuditEventResponse, AuditPage, AuditQuery};
pub use auth::{LoginRequest, RefreshRequest, RegisterRequest, TokenResponse};
pub use fields::{FieldErrors, Maybe};
pub use identities::{
    AuthorizationUrlResponse, CallbackQuery, IdentityList, IdentityResponse, LinkIdentityRequest, ProviderList, ProviderResponse,
    StartQuery,
};
pub use links::{EmailRequest, InviteRequest, LinkTokenRequest, ResetConfirmRequest};
pub use me::{ChangePassword, CurrentPassword, SessionPage, SessionResponse, UpdateMe};
pub use mfa::{
    CodeRequest, ConfirmTotpRequest, FreshRequest, MfaRequiredProblem, MfaStatusResponse, PasswordPolicyResponse, RecoveryCodesResponse,
    SecondStepRequest, TotpEnrolmentResponse,
};
pub use page::PageQuery;
pub use passkeys::{
    CeremonyResponse, PasskeyList, PasskeyOptionsRequest, PasskeyResponse, PasskeySignInRequest, RegisterPasskeyRequest,
    RenamePasskeyRequest,
};
pub use pats::{CreateTokenRequest, CreatedPatResponse, PatList, PatResponse};
pub use projects::{CreateProject, ProjectPage, ProjectResponse, UpdateProject};
pub use system::HealthResponse;
pub use tasks::{CreateTask, PatchTask, TaskListQuery, TaskPage, TaskResponse};
pub use token::OAuthErrorResponse;
pub use users::{AdminUpdateUser, UserPage, UserResponse};
pub use wire_enum::{AuditKindDto, PatScopeDto, RoleDto, TaskPriorityDto, TaskStatusDto};
