extension PlaygroundAssets {
    /// The playground's JavaScript (served at `<assetBase>/assets/playground.js`).
    static let script = #"""
        // Understudy playground: signs in with the implicit flow or the authorization code flow with PKCE, then shows,
        // decodes and checks the tokens. Plain ES2020 without dependencies or inline code (the page's CSP forbids both).
        (function () {
          "use strict";

          const PENDING_KEY = "understudy.playground.pending"; // sessionStorage: the sign-in in progress
          const TOKENS_KEY = "understudy.playground.tokens"; // sessionStorage: the tokens on display
          const LOGOUT_KEY = "understudy.playground.logout"; // sessionStorage: state of the logout in progress
          const SETTINGS_KEY = "understudy.playground.settings"; // localStorage: last client, flow and scopes
          const API_URL_KEY = "understudy.playground.api-url"; // localStorage: last URL of the API card
          const FLOW_LABELS = { implicit: "Implicit", code: "Authorization code + PKCE" };
          const STATUS_TEXT = { idle: "Not signed in.", working: "Working…", "signed-in": "Signed in.", error: "The last step failed." };
          const REASONS = { 200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable" };
          // The JWS algorithms the page can check, with their WebCrypto parameters.
          const ALGORITHMS = {
            RS256: { kty: "RSA", importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verifyParams: { name: "RSASSA-PKCS1-v1_5" } },
            ES256: { kty: "EC", importParams: { name: "ECDSA", namedCurve: "P-256" }, verifyParams: { name: "ECDSA", hash: "SHA-256" } },
          };

          const $ = (id) => document.getElementById(id);
          const encoder = new TextEncoder();
          const config = parseJSON($("playground-config") ? $("playground-config").textContent : "") || {};
          const basePath = (config.basePath || "").replace(/\/+$/, "");
          const clients = Array.isArray(config.clients) ? config.clients : [];
          const playgroundPath = basePath + "/playground";
          const redirectURI = location.origin + playgroundPath + "/callback";

          // The tokens on display: { clientID, flow, scopes, nonce, accessToken, idToken, refreshToken, response, userinfo }.
          let tokens = readStored("sessionStorage", TOKENS_KEY);
          let jwksPromise = null;

          /** A failure shown as "code: description", like an OAuth error response. */
          class PlaygroundError extends Error {
            constructor(code, description) {
              super(description || "");
              this.code = code;
            }
          }

          // ---- Helpers ----

          // Storage may be disabled (private modes, sandboxes): reading then yields null and writing does nothing.
          function readStored(area, key) {
            try {
              const raw = window[area].getItem(key);
              return raw ? JSON.parse(raw) : null;
            } catch { return null; }
          }

          function writeStored(area, key, value) {
            try {
              if (value === null || value === undefined) window[area].removeItem(key);
              else window[area].setItem(key, JSON.stringify(value));
            } catch { /* the page still works for this visit */ }
          }

          function parseJSON(text) {
            try { return JSON.parse(text); } catch { return null; }
          }

          const describe = (error) => (error && error.message ? error.message : String(error));
          const prettyJSON = (value) => JSON.stringify(value, null, 2);
          const prettyBody = (text) => { const value = parseJSON(text); return value === null ? text : prettyJSON(value); };
          const statusLine = (response) => `${response.status} ${response.statusText || REASONS[response.status] || ""}`.trim();
          const hasSubtle = () => Boolean(window.crypto && window.crypto.subtle);

          /** `a=1&b=2` with %-encoding (spaces as %20); null, undefined and empty values are left out. */
          function formEncode(params) {
            return Object.entries(params)
              .filter(([, value]) => value !== null && value !== undefined && value !== "")
              .map(([name, value]) => encodeURIComponent(name) + "=" + encodeURIComponent(value))
              .join("&");
          }

          const withQuery = (url, params) => url + (url.includes("?") ? "&" : "?") + formEncode(params);

          function base64urlEncode(bytes) {
            let binary = "";
            for (const byte of bytes) binary += String.fromCharCode(byte);
            return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
          }

          function base64urlDecode(text) {
            const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
            const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
            return Uint8Array.from(binary, (char) => char.charCodeAt(0));
          }

          /** `count` random bytes as base64url; getRandomValues works in insecure contexts too. */
          const randomToken = (count) => base64urlEncode(crypto.getRandomValues(new Uint8Array(count)));

          // ---- SHA-256 (FIPS 180-4) for PKCE when crypto.subtle is missing, i.e. plain http on a host other than localhost ----

          const K = new Uint32Array([
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
          ]);
          const rotr = (x, n) => (x >>> n) | (x << (32 - n));

          function sha256Fallback(bytes) {
            const hash = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
            // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian number.
            const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
            padded.set(bytes);
            padded[bytes.length] = 0x80;
            const view = new DataView(padded.buffer);
            view.setUint32(padded.length - 8, Math.floor(bytes.length / 0x20000000));
            view.setUint32(padded.length - 4, (bytes.length * 8) >>> 0);
            const w = new Uint32Array(64); // Uint32Array stores every sum modulo 2^32
            for (let offset = 0; offset < padded.length; offset += 64) {
              for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
              for (let i = 16; i < 64; i++) {
                const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
                const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
              }
              let [a, b, c, d, e, f, g, h] = hash;
              for (let i = 0; i < 64; i++) {
                const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
                const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
                [h, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
              }
              [a, b, c, d, e, f, g, h].forEach((value, i) => { hash[i] += value; });
            }
            const digest = new Uint8Array(32);
            hash.forEach((value, i) => new DataView(digest.buffer).setUint32(i * 4, value));
            return digest;
          }

          async function sha256(bytes) {
            return hasSubtle() ? new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)) : sha256Fallback(bytes);
          }

          // ---- JWT decoding and signature checks ----

          /** { header, claims, signingInput, signature } of a compact JWS; null for anything else, such as opaque tokens. */
          function decodeJWT(token) {
            const parts = typeof token === "string" ? token.split(".") : [];
            if (parts.length !== 3) return null;
            try {
              const [header, claims] = parts.slice(0, 2).map((part) => JSON.parse(new TextDecoder().decode(base64urlDecode(part))));
              if (!header || typeof header !== "object" || !claims || typeof claims !== "object") return null;
              return { header, claims, signingInput: parts[0] + "." + parts[1], signature: base64urlDecode(parts[2]) };
            } catch { return null; }
          }

          function loadKeys(refetch) {
            if (!jwksPromise || refetch) {
              const promise = (async () => {
                if (!config.jwksURI) throw new Error("the configuration names no JWKS URI");
                const response = await fetch(config.jwksURI, { headers: { Accept: "application/json" } });
                if (!response.ok) throw new Error(`the JWKS request answered ${statusLine(response)}`);
                const body = await response.json();
                return Array.isArray(body.keys) ? body.keys : [];
              })();
              promise.catch(() => { if (jwksPromise === promise) jwksPromise = null; }); // fetch again next time
              jwksPromise = promise;
            }
            return jwksPromise;
          }

          /** The JWK named `kid` (without a kid: the first key fit for `alg`); fetches the JWKS once more on a miss (rotation). */
          async function findKey(kid, alg) {
            const fits = (key) => (kid ? key.kid === kid : key.kty === ALGORITHMS[alg].kty && (!key.alg || key.alg === alg));
            return (await loadKeys(false)).find(fits) || (await loadKeys(true)).find(fits) || null;
          }

          /** "valid", "invalid" or "unavailable: <reason>". */
          async function verifySignature(jwt) {
            const { alg, kid } = jwt.header;
            const algorithm = ALGORITHMS[alg];
            if (!algorithm) return alg === "none" ? "unavailable: the token is unsigned (alg none)" : `unavailable: unsupported alg ${alg}`;
            if (!hasSubtle()) return "unavailable: crypto.subtle needs a secure context (https, localhost or 127.0.0.1)";
            try {
              const jwk = await findKey(kid, alg);
              if (!jwk) return kid ? `unavailable: kid ${kid} not found in the JWKS` : `unavailable: no ${alg} key in the JWKS`;
              if (jwk.kty !== algorithm.kty) return `unavailable: key ${kid} is ${jwk.kty}, not usable for ${alg}`;
              // Import only the public parameters, so that the published use/alg/key_ops cannot make the import fail.
              const publicJWK = { kty: jwk.kty, ext: true };
              for (const name of ["n", "e", "crv", "x", "y"]) if (jwk[name] !== undefined) publicJWK[name] = jwk[name];
              const key = await crypto.subtle.importKey("jwk", publicJWK, algorithm.importParams, false, ["verify"]);
              // JWS ES256 signatures are r||s (64 bytes), which is the format WebCrypto's ECDSA expects.
              const ok = await crypto.subtle.verify(algorithm.verifyParams, key, jwt.signature, encoder.encode(jwt.signingInput));
              return ok ? "valid" : "invalid";
            } catch (error) {
              return "unavailable: " + describe(error);
            }
          }

          async function signatureVerdict(token, jwt) {
            if (!token) return "";
            return jwt ? verifySignature(jwt) : "unavailable: not a JWT (opaque token)";
          }

          function nonceVerdict(idToken, jwt, nonce) {
            if (!idToken) return "";
            if (!jwt || jwt.claims.nonce === undefined) return "absent";
            return jwt.claims.nonce === nonce ? "matches" : "mismatch";
          }

          // ---- Rendering ----

          const setText = (id, text) => { $(id).textContent = text || ""; };

          /** A verdict text plus a data-verdict attribute (valid, invalid, unavailable, matches, …) for the style sheet. */
          function setVerdict(id, text) {
            $(id).textContent = text;
            if (text) $(id).dataset.verdict = text.split(":")[0];
            else delete $(id).dataset.verdict;
          }

          function setState(state, errorText) {
            $("result").dataset.state = state;
            setText("status", STATUS_TEXT[state]);
            setText("error", state === "error" ? errorText : "");
            const busy = state === "working";
            $("sign-in").disabled = busy || clients.length === 0;
            $("sign-out").disabled = busy || !tokens;
            $("refresh").disabled = busy || !(tokens && tokens.refreshToken);
          }

          function fail(error) {
            console.error("playground:", error);
            if (error instanceof PlaygroundError) setState("error", error.code + (error.message ? ": " + error.message : ""));
            else setState("error", "playground_error: " + describe(error));
          }

          /** Shows `tokens` (or empties the cards); resolves once both signatures are checked. */
          async function renderTokens() {
            const current = tokens || {};
            const access = decodeJWT(current.accessToken);
            const id = decodeJWT(current.idToken);
            setText("access-token", current.accessToken);
            setText("access-token-header", access && prettyJSON(access.header));
            setText("access-token-claims", access && prettyJSON(access.claims));
            setText("id-token", current.idToken);
            setText("id-token-header", id && prettyJSON(id.header));
            setText("id-token-claims", id && prettyJSON(id.claims));
            setVerdict("nonce-check", nonceVerdict(current.idToken, id, current.nonce));
            setText("refresh-token", current.refreshToken);
            setText("userinfo", current.userinfo);
            setText("token-response", current.response && prettyJSON(current.response));
            setVerdict("access-token-signature", "");
            setVerdict("id-token-signature", "");
            const verdicts = await Promise.all([signatureVerdict(current.accessToken, access), signatureVerdict(current.idToken, id)]);
            setVerdict("access-token-signature", verdicts[0]);
            setVerdict("id-token-signature", verdicts[1]);
          }

          // ---- Settings card ----

          function makeOption(value, text) {
            const option = document.createElement("option");
            option.value = value;
            option.textContent = text;
            return option;
          }

          const currentClient = () => clients.find((client) => client.clientID === $("client").value) || null;
          const selectedScopes = () => Array.from(document.querySelectorAll('#scopes input[name="scope"]:checked'), (input) => input.value);

          function saveSettings() {
            const client = currentClient();
            if (client) writeStored("localStorage", SETTINGS_KEY, { clientID: client.clientID, flow: $("flow").value, scopes: selectedScopes() });
          }

          /** Fills the flow select and the scope boxes for the selected client; `saved` restores an earlier choice for it. */
          function renderClientChoices(saved) {
            const client = currentClient();
            const restore = Boolean(client && saved && saved.clientID === client.clientID);
            const flows = client && Array.isArray(client.flows) ? client.flows : [];
            const allowed = ["implicit", "code"].filter((flow) => flows.includes(flow));
            $("flow").replaceChildren(...allowed.map((flow) => makeOption(flow, FLOW_LABELS[flow])));
            if (restore && flows.includes(saved.flow)) $("flow").value = saved.flow;
            const savedScopes = restore && Array.isArray(saved.scopes) ? saved.scopes : null;
            $("scopes").replaceChildren(...((client && client.scopes) || []).map((scope) => {
              const label = document.createElement("label");
              const input = document.createElement("input");
              input.type = "checkbox";
              input.name = "scope";
              input.value = scope;
              input.defaultChecked = savedScopes ? savedScopes.includes(scope) : true; // the `checked` attribute
              input.checked = input.defaultChecked;
              label.append(input, " " + scope);
              return label;
            }));

            const registered = !client || (Array.isArray(client.redirectURIs) && client.redirectURIs.includes(redirectURI));
            $("redirect-warning").hidden = registered;
            setText("redirect-warning", registered ? "" : `Client "${client.clientID}" does not list ${redirectURI} among its redirect URIs. ` +
              "Add it to the client's redirect_uris in the seed to sign in from this page.");
            const confidential = Boolean(client && client.isPublic === false);
            $("client-note").hidden = !confidential;
            setText("client-note", confidential ? "This client is confidential: the page cannot send its secret, so the token endpoint " +
              "will probably refuse the code exchange and refreshes." : "");
          }

          function setupSettings() {
            const saved = readStored("localStorage", SETTINGS_KEY) || {};
            $("client").replaceChildren(...clients.map((client) => makeOption(client.clientID, client.name || client.clientID)));
            if (clients.some((client) => client.clientID === saved.clientID)) $("client").value = saved.clientID;
            renderClientChoices(saved);
            $("client").addEventListener("change", () => { renderClientChoices(null); saveSettings(); });
            $("flow").addEventListener("change", saveSettings);
            $("scopes").addEventListener("change", saveSettings);
          }

          // ---- Sign in, callback, refresh, sign out ----

          async function signIn() {
            const client = currentClient();
            if (!client) return;
            const flow = $("flow").value;
            const scopes = selectedScopes();
            const pending = { state: randomToken(16), nonce: randomToken(16), verifier: null, clientID: client.clientID, flow, scopes,
              redirectURI };
            const params = {
              response_type: flow === "code" ? "code" : scopes.includes("openid") ? "id_token token" : "token",
              client_id: client.clientID,
              redirect_uri: redirectURI,
              scope: scopes.join(" "),
              state: pending.state,
              nonce: pending.nonce,
            };
            if (flow === "code") {
              pending.verifier = randomToken(32); // 43 characters
              params.code_challenge = base64urlEncode(await sha256(encoder.encode(pending.verifier)));
              params.code_challenge_method = "S256";
            }
            params.prompt = $("prompt").value;
            params.login_hint = $("login-hint").value.trim();
            saveSettings();
            writeStored("sessionStorage", PENDING_KEY, pending);
            setState("working");
            location.assign(withQuery(config.authorizationEndpoint, params));
          }

          /** POSTs a grant to the token endpoint; shows the raw answer and throws its OAuth error, if any. */
          async function requestToken(form) {
            let response;
            try {
              response = await fetch(config.tokenEndpoint, {
                method: "POST",
                headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
                body: formEncode(form),
              });
            } catch (error) {
              throw new PlaygroundError("network_error", describe(error));
            }
            const text = await response.text();
            const body = parseJSON(text);
            setText("token-response", body ? prettyJSON(body) : text);
            if (body && typeof body === "object" && body.error) throw new PlaygroundError(String(body.error), body.error_description);
            if (!response.ok || !body || !body.access_token) {
              throw new PlaygroundError("http_" + response.status, `unexpected token endpoint answer (${statusLine(response)})`);
            }
            return body;
          }

          /** The userinfo JSON, or the status line, WWW-Authenticate challenge and body of a refusal. */
          async function fetchUserinfo(accessToken) {
            try {
              const headers = { Authorization: "Bearer " + accessToken, Accept: "application/json" };
              const response = await fetch(config.userinfoEndpoint, { headers });
              const body = prettyBody(await response.text());
              if (response.ok) return body;
              const challenge = response.headers.get("WWW-Authenticate");
              return [statusLine(response), challenge && "WWW-Authenticate: " + challenge, body && "\n" + body].filter(Boolean).join("\n");
            } catch (error) {
              return "network error: " + describe(error);
            }
          }

          /** Calls userinfo when openid was asked for or granted, stores and shows `tokens`, ends signed in. */
          async function completeSignIn() {
            setState("working");
            const granted = typeof tokens.response.scope === "string" ? tokens.response.scope.split(" ") : [];
            const openID = (tokens.scopes || []).includes("openid") || granted.includes("openid");
            tokens.userinfo = openID && tokens.accessToken && config.userinfoEndpoint ? await fetchUserinfo(tokens.accessToken) : "";
            writeStored("sessionStorage", TOKENS_KEY, tokens);
            await renderTokens();
            setState("signed-in");
          }

          /** Handles the redirect back from the authorization endpoint; false when the URL carries nothing to handle. */
          async function handleCallback() {
            const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
            const raw = Object.fromEntries(Array.from(fragment.keys()).length > 0 ? fragment : new URLSearchParams(location.search));
            const pending = readStored("sessionStorage", PENDING_KEY);
            writeStored("sessionStorage", PENDING_KEY, null);
            history.replaceState(null, "", playgroundPath); // keep codes and tokens out of the address bar and the history
            if (!pending && Object.keys(raw).length === 0) return false;

            setText("token-response", prettyJSON(raw));
            if (!pending) throw new PlaygroundError("invalid_state", "no sign-in is pending in this tab (already completed, or started elsewhere)");
            if (raw.state !== pending.state) throw new PlaygroundError("invalid_state", "the returned state does not match the one sent");
            if (raw.error) throw new PlaygroundError(raw.error, raw.error_description);
            let response = raw;
            if (pending.flow === "code") {
              if (!raw.code) throw new PlaygroundError("invalid_response", "the callback carries neither a code nor an error");
              response = await requestToken({
                grant_type: "authorization_code",
                code: raw.code,
                redirect_uri: pending.redirectURI,
                client_id: pending.clientID,
                code_verifier: pending.verifier,
              });
            } else if (!raw.access_token) {
              throw new PlaygroundError("invalid_response", "the callback carries neither an access token nor an error");
            }
            tokens = {
              clientID: pending.clientID,
              flow: pending.flow,
              scopes: pending.scopes || [],
              nonce: pending.nonce,
              accessToken: response.access_token,
              idToken: response.id_token || null,
              refreshToken: response.refresh_token || null,
              response,
              userinfo: "",
            };
            await completeSignIn();
            return true;
          }

          async function refreshTokens() {
            if (!tokens || !tokens.refreshToken) return;
            setState("working");
            const body = await requestToken({ grant_type: "refresh_token", refresh_token: tokens.refreshToken, client_id: tokens.clientID });
            tokens = {
              ...tokens,
              accessToken: body.access_token,
              idToken: body.id_token || tokens.idToken,
              refreshToken: body.refresh_token || tokens.refreshToken, // rotation: always keep the newest
              response: body,
            };
            await completeSignIn();
          }

          async function signOut() {
            const previous = tokens;
            tokens = null;
            writeStored("sessionStorage", TOKENS_KEY, null);
            const client = (previous && clients.find((candidate) => candidate.clientID === previous.clientID)) || currentClient();
            if (!config.endSessionEndpoint || !client) {
              await renderTokens();
              setState("idle");
              return;
            }
            const state = randomToken(16);
            const postLogoutURI = location.origin + playgroundPath;
            const allowed = Array.isArray(client.postLogoutRedirectURIs) && client.postLogoutRedirectURIs.includes(postLogoutURI);
            writeStored("sessionStorage", LOGOUT_KEY, state);
            setState("working");
            location.assign(withQuery(config.endSessionEndpoint, {
              id_token_hint: previous && previous.idToken,
              client_id: client.clientID,
              post_logout_redirect_uri: allowed ? postLogoutURI : null,
              state,
            }));
          }

          /** True when this visit returns from the page's own logout request; also cleans the URL. */
          function isLogoutReturn() {
            const expected = readStored("sessionStorage", LOGOUT_KEY);
            if (!expected || new URLSearchParams(location.search).get("state") !== expected) return false;
            writeStored("sessionStorage", LOGOUT_KEY, null);
            history.replaceState(null, "", playgroundPath);
            return true;
          }

          // ---- API card ----

          async function callAPI() {
            const url = $("api-url").value.trim();
            writeStored("localStorage", API_URL_KEY, url);
            setText("api-status", url ? "" : "enter a URL first");
            setText("api-response", "");
            if (!url) return;
            const token = tokens ? ($("api-token").value === "id" ? tokens.idToken : tokens.accessToken) : null;
            const headers = token ? { Accept: "application/json", Authorization: "Bearer " + token } : { Accept: "application/json" };
            const before = { state: $("result").dataset.state, error: $("error").textContent };
            setState("working");
            try {
              const response = await fetch(url, { method: $("api-method").value, headers });
              const text = await response.text();
              setText("api-status", statusLine(response));
              setText("api-response", prettyBody(text));
            } catch (error) {
              setText("api-status", "network error: " + describe(error)); // also what a CORS refusal looks like
            } finally {
              setState(before.state, before.error);
            }
          }

          // ---- Start ----

          const run = (task) => () => { task().catch(fail); };

          async function start() {
            setupSettings();
            const savedURL = readStored("localStorage", API_URL_KEY);
            $("api-url").value = typeof savedURL === "string" ? savedURL : config.userinfoEndpoint || "";
            $("sign-in").addEventListener("click", run(signIn));
            $("refresh").addEventListener("click", run(refreshTokens));
            $("sign-out").addEventListener("click", run(signOut));
            $("api-call").addEventListener("click", run(callAPI));

            setState("working");
            await renderTokens();
            if (location.pathname.endsWith("/playground/callback") && (await handleCallback())) return;
            const signedOut = isLogoutReturn();
            setState(tokens ? "signed-in" : "idle");
            if (signedOut) setText("status", "Signed out.");
            if (clients.length === 0) throw new PlaygroundError("no_clients", "no client allows a browser flow (implicit or authorization_code)");
          }

          start().catch(fail);
        })();
        """#
}
