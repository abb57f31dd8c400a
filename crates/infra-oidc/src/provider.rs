//! The configured providers and their cached discovery.

use domain::{
    AuthorizationRequest, Email, FlowSecret, IdentityProviders, OidcFlow, ProviderAnswer, ProviderClaims, ProviderError, ProviderId,
    ProviderInfo,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// openidconnect's client as discovery makes it: the authorization endpoint set, the token and
/// user-info endpoints as the provider's metadata has them.
type ProviderClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// One `[[oidc.providers]]` entry.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// `[a-z0-9-]{1,32}`, in paths.
    pub id: ProviderId,
    /// Shown on buttons.
    pub name: String,
    /// Discovery at `{issuer}/.well-known/openid-configuration`; `iss` must equal it exactly.
    pub issuer: String,
    /// Gatehouse's client id at the provider.
    pub client_id: String,
    /// Its secret; none for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// Requested scopes (`openid` is always among them).
    pub scopes: Vec<String>,
    /// Whether a new person may create an account this way.
    pub allow_signup: bool,
}

/// The relying party's settings.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The providers.
    pub providers: Vec<ProviderSettings>,
    /// Where apps may be sent back (exact strings), besides `{public_url}/account/`.
    pub allowed_redirect_uris: Vec<String>,
    /// `server.public_url`, without a trailing `/`: callbacks are
    /// `{public_url}/auth/oidc/{provider}/callback`.
    pub public_url: String,
    /// How long a discovery document and its keys are used before they are read again.
    pub cache_ttl: Duration,
    /// The longest any call to a provider may take.
    pub timeout: Duration,
}

struct Provider {
    settings: ProviderSettings,
    callback: RedirectUrl,
    issuer: IssuerUrl,
    cache: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

/// The production [`IdentityProviders`].
pub struct OidcProviders {
    providers: Vec<Provider>,
    redirects: Vec<String>,
    cache_ttl: Duration,
    timeout: Duration,
    /// Built on first use, on the blocking pool: reqwest's blocking client must not be created on
    /// an async worker.
    http: OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl std::fmt::Debug for OidcProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviders").field("providers", &self.providers.iter().map(|p| &p.settings.id).collect::<Vec<_>>()).finish()
    }
}

/// Why the settings were refused.
#[derive(Debug, thiserror::Error)]
#[error("oidc provider {provider}: {reason}")]
pub struct SettingsError {
    provider: String,
    reason: String,
}

impl OidcProviders {
    /// The adapter; nothing is fetched until a provider is first used.
    ///
    /// # Errors
    /// A [`SettingsError`] for an issuer or callback that is not a URL.
    pub fn new(settings: OidcSettings) -> Result<Self, SettingsError> {
        let providers = settings
            .providers
            .into_iter()
            .map(|p| {
                let error = |reason: String| SettingsError { provider: p.id.to_string(), reason };
                let callback = RedirectUrl::new(format!("{}/auth/oidc/{}/callback", settings.public_url, p.id))
                    .map_err(|e| error(format!("callback URL: {e}")))?;
                let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|e| error(format!("issuer: {e}")))?;
                Ok(Provider { settings: p, callback, issuer, cache: Mutex::new(None) })
            })
            .collect::<Result<Vec<_>, SettingsError>>()?;
        let mut redirects = settings.allowed_redirect_uris;
        redirects.push(format!("{}/account/", settings.public_url));
        Ok(Self { providers, redirects, cache_ttl: settings.cache_ttl, timeout: settings.timeout, http: OnceLock::new() })
    }

    fn provider(&self, id: &ProviderId) -> Result<&Provider, ProviderError> {
        self.providers.iter().find(|p| p.settings.id == *id).ok_or(ProviderError::Unknown)
    }

    fn http(&self) -> Result<&reqwest::blocking::Client, ProviderError> {
        let built = self.http.get_or_init(|| {
            reqwest::blocking::Client::builder()
                // A provider's endpoints never redirect a relying party: following one would let
                // a discovery document point our requests anywhere (SSRF).
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout)
                .build()
                .map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| ProviderError::Unavailable(format!("HTTP client: {e}")))
    }

    /// The provider's discovery document and keys: cached, or read now.
    fn metadata(&self, provider: &Provider, refresh: bool) -> Result<CoreProviderMetadata, ProviderError> {
        let mut cache = provider.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if !refresh
            && let Some((at, metadata)) = cache.as_ref()
            && at.elapsed() < self.cache_ttl
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover(&provider.issuer, self.http()?).map_err(|e| {
            *cache = None;
            ProviderError::Unavailable(format!("discovery of {}: {e}", provider.settings.issuer))
        })?;
        *cache = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(provider: &Provider, metadata: CoreProviderMetadata) -> ProviderClient {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.settings.client_id.clone()),
            provider.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(provider.callback.clone())
    }
}

impl IdentityProviders for OidcProviders {
    fn list(&self) -> Vec<ProviderInfo> {
        self.providers.iter().map(|p| info(&p.settings)).collect()
    }

    fn find(&self, id: &ProviderId) -> Option<ProviderInfo> {
        self.provider(id).ok().map(|p| info(&p.settings))
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirects.iter().any(|allowed| allowed == uri)
    }

    fn authorization(&self, id: &ProviderId, state: &FlowSecret) -> Result<AuthorizationRequest, ProviderError> {
        let provider = self.provider(id)?;
        let client = Self::client(provider, self.metadata(provider, false)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.expose().to_owned();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || CsrfToken::new(state), Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in provider.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, _state, nonce) = request.url();
        Ok(AuthorizationRequest { url: url.to_string(), nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() })
    }

    fn finish(&self, id: &ProviderId, answer: &ProviderAnswer<'_>, flow: &OidcFlow) -> Result<ProviderClaims, ProviderError> {
        let provider = self.provider(id)?;
        // RFC 9207: an `iss` parameter that is not the issuer is a mix-up attack.
        if let Some(iss) = answer.iss
            && iss != provider.settings.issuer
        {
            return Err(ProviderError::Rejected(format!("the iss parameter {iss:?} is not the issuer")));
        }
        let client = Self::client(provider, self.metadata(provider, false)?);
        let tokens = client
            .exchange_code(AuthorizationCode::new(answer.code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request(self.http()?)
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(refused) => {
                    ProviderError::Rejected(format!("the token endpoint refused the code: {}", refused.error()))
                }
                other => ProviderError::Unavailable(format!("token endpoint: {other}")),
            })?;
        let id_token = tokens.id_token().ok_or_else(|| ProviderError::Rejected("no id_token in the token response".to_owned()))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let verified = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                // The provider rotated its keys since they were cached: read them again, once.
                let fresh = Self::client(provider, self.metadata(provider, true)?);
                id_token.claims(&fresh.id_token_verifier(), &nonce).cloned()
            }
            other => other.cloned(),
        };
        let claims = verified.map_err(|e| ProviderError::Rejected(format!("ID token: {e}")))?;
        // OpenID Connect Core §3.1.3.7: an `azp` must be our client id (the library checks it
        // only beside several audiences).
        if let Some(azp) = claims.authorized_party()
            && azp.as_str() != provider.settings.client_id
        {
            return Err(ProviderError::Rejected(format!("ID token: azp {:?} is not our client id", azp.as_str())));
        }
        if claims.issue_time() > chrono::Utc::now() + LEEWAY {
            return Err(ProviderError::Rejected("ID token: iat is in the future".to_owned()));
        }
        let subject = claims.subject().as_str();
        // OpenID Connect Core §2: `sub` is at most 255 ASCII characters.
        if subject.is_empty() || subject.len() > 255 {
            return Err(ProviderError::Rejected("ID token: sub is empty or longer than 255".to_owned()));
        }
        Ok(ProviderClaims {
            issuer: claims.issuer().as_str().to_owned(),
            subject: subject.to_owned(),
            email: claims.email().and_then(|e| Email::parse(e.as_str()).ok()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
        })
    }
}

/// Clock skew tolerated between the provider and us.
const LEEWAY: chrono::Duration = chrono::Duration::seconds(60);

fn info(settings: &ProviderSettings) -> ProviderInfo {
    ProviderInfo { id: settings.id.clone(), name: settings.name.clone(), allow_signup: settings.allow_signup }
}
