#![doc = include_str!("../README.md")]

pub mod app;
pub mod dto;
pub mod edge;
pub mod openapi;
pub mod routes;
