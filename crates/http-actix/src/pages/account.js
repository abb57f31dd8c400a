// The pages an emailed link opens. Opening one uses nothing up (mail scanners open links too):
// the token is read from the address here and sent only when the person presses the button,
// and the page shows the API's answer, field errors included.
(() => {
  "use strict";
  const page = document.body.dataset.page;
  const form = document.getElementById("form");
  const status = document.getElementById("status");
  const button = form.querySelector("button");
  const token = new URLSearchParams(window.location.search).get("token") ?? "";

  const done = {
    verify: "Your address is verified. You can close this page.",
    reset: "Your password is set. Sign in with it now; every other session has ended.",
    "email-change": "Your account now uses this address. Sign in with it from now on.",
  };
  const invalidLink = "This link is invalid, used or expired. Ask for a new one.";

  const say = (text, kind) => {
    status.textContent = text;
    status.className = kind;
  };
  const fieldError = (field, message) => {
    const slot = document.getElementById(`${field}-error`);
    if (slot) slot.textContent = message;
    else say(message, "error");
  };
  const clear = () => {
    say("", "");
    for (const slot of document.querySelectorAll(".field-error")) slot.textContent = "";
  };

  if (!token) {
    say("This page needs the link from your email: open it from the message.", "error");
    button.disabled = true;
    return;
  }

  const request = () => {
    if (page === "reset") {
      const password = form.elements.new_password.value;
      if (password !== form.elements.repeat_password.value) {
        fieldError("repeat_password", "The two passwords differ.");
        return null;
      }
      return ["/auth/password-reset/confirm", { token, new_password: password }];
    }
    return [page === "verify" ? "/auth/verify-email" : "/auth/email-change/confirm", { token }];
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const call = request();
    if (!call) return;
    button.disabled = true;
    try {
      const response = await fetch(call[0], {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(call[1]),
        credentials: "omit",
      });
      if (response.status === 204) {
        form.hidden = true;
        say(done[page], "ok");
        return;
      }
      const problem = await response.json().catch(() => ({}));
      const errors = Array.isArray(problem.errors) ? problem.errors : [];
      for (const { field, message } of errors) {
        if (field === "token") say(invalidLink, "error");
        else fieldError(field, `The password ${message}.`);
      }
      if (errors.length === 0) say(problem.detail ?? `The server answered ${response.status}.`, "error");
    } catch {
      say("The server could not be reached. Try again in a moment.", "error");
    } finally {
      button.disabled = false;
    }
  });
})();
