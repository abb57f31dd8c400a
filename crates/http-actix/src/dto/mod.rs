//! Request and response bodies. Requests are read as plain JSON shapes and converted into
//! domain commands with `TryFrom`-style `into_*` methods that report every invalid field at
//! once; responses are separate structs built from domain entities, never from storage rows.

mod fields;
mod projects;
mod requests;
mod responses;
pub mod rules;
mod tasks;
mod time;

pub use fields::{Maybe, Validator};
pub use projects::{CreateProject, ProjectResponse, UpdateProject};
pub use requests::{AdminUpdateUser, ChangePassword, CurrentPassword, LoginRequest, PageQuery, RefreshRequest, RegisterRequest, UpdateMe};
pub use responses::{
    HealthResponse, OAuthErrorResponse, ProjectPage, SessionPage, SessionResponse, TaskPage, TokenResponse, UserPage, UserResponse,
};
pub use tasks::{CreateTask, PatchTask, TaskListQuery, TaskResponse};
pub use tasks::{TaskPriorityDto, TaskStatusDto};
