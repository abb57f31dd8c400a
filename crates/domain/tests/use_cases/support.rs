use domain::memory::InMemory;
use domain::{CandidatePassword, Email, Gatehouse, Password, Principal, Registration, SessionPolicy, TokenPair, User, UserName};

pub const PASSWORD: &str = "correct horse battery";

/// A fresh in-memory Gatehouse with helpers for the usual set-up steps.
pub struct World {
    pub mem: InMemory,
    pub app: Gatehouse,
}

impl World {
    pub fn new() -> Self {
        Self::with_policy(SessionPolicy::default())
    }

    pub fn with_policy(policy: SessionPolicy) -> Self {
        let mem = InMemory::new();
        let app = Gatehouse::new(mem.ports(), policy);
        Self { mem, app }
    }

    pub fn register(&self, email: &str) -> User {
        self.app
            .auth
            .register(
                Registration {
                    email: Email::parse(email).unwrap(),
                    password: Password::new(PASSWORD, 72).unwrap(),
                    name: UserName::parse("Test User").unwrap(),
                },
                &domain::Client::default(),
            )
            .unwrap()
    }

    pub fn login(&self, email: &str) -> TokenPair {
        self.login_with(email, PASSWORD)
    }

    pub fn login_with(&self, email: &str, password: &str) -> TokenPair {
        match self.app.auth.login(email, &CandidatePassword::new(password), &domain::Client::default()).unwrap() {
            domain::SignInOutcome::Complete(pair) => pair,
            domain::SignInOutcome::SecondStep(_) => panic!("{email} has two-step sign-in on"),
        }
    }

    pub fn principal(&self, tokens: &TokenPair) -> Principal {
        self.app.auth.authenticate(tokens.access_token.expose()).unwrap()
    }

    /// Registers, logs in and authenticates one user.
    pub fn signed_in(&self, email: &str) -> (Principal, TokenPair) {
        self.register(email);
        let tokens = self.login(email);
        (self.principal(&tokens), tokens)
    }

    /// `admin` deactivates `user`'s account.
    pub fn deactivate(&self, admin: &Principal, user: &Principal) {
        let update = domain::AdminUpdate { is_active: Some(false), ..Default::default() };
        self.app.admin.update_user(admin, user.user_id(), update, &domain::Client::default()).unwrap();
    }

    /// An admin created through the command-line path, signed in.
    pub fn signed_in_admin(&self, email: &str) -> (Principal, TokenPair) {
        self.app
            .admin
            .create_admin(Email::parse(email).unwrap(), UserName::parse("Admin").unwrap(), &Password::new(PASSWORD, 72).unwrap())
            .unwrap();
        let tokens = self.login(email);
        (self.principal(&tokens), tokens)
    }
}

pub fn candidate(p: &str) -> CandidatePassword {
    CandidatePassword::new(p)
}

impl World {
    /// Every message queued for `to`, oldest first.
    pub fn mail_to(&self, to: &str) -> Vec<domain::OutgoingMail> {
        self.mem.outbox.queued().into_iter().filter(|m| m.to.as_str() == to).collect()
    }

    /// The token of the newest link mailed to `to`.
    pub fn link_token(&self, to: &str) -> String {
        let mail = self.mail_to(to);
        let text = &mail.last().expect("a message was queued").text;
        let start = text.find("token=").expect("the message has a link") + "token=".len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }
}
