/// The playground page, its script and the shared style sheet, served from memory so the page needs no external assets.
///
/// Only ``pageTemplate`` is a mustache template; ``script`` and ``styleSheet`` are served as they are.
enum PlaygroundAssets {
    /// Mustache template of the playground page. Variables: `assetBase`, `issuer`, `configJSON` (triple mustache, already safe for a script element).
    ///
    /// The element ids and the `data-state` attribute of `#result` are a stable interface for browser tests.
    static let pageTemplate = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Understudy playground</title>
        <link rel="stylesheet" href="{{assetBase}}/assets/understudy.css">
        <script type="application/json" id="playground-config">{{{configJSON}}}</script>
        <script src="{{assetBase}}/assets/playground.js" defer></script>
        </head>
        <body>
        <header class="site-header">
          <h1>Understudy playground</h1>
          <p>Issuer <code>{{issuer}}</code></p>
        </header>
        <main class="playground">
          <section class="card settings" aria-labelledby="settings-heading">
            <h2 id="settings-heading">Sign in</h2>
            <div class="field"><label for="client">Client</label><select id="client"></select></div>
            <p id="client-note" class="notice" hidden></p>
            <div class="field"><label for="flow">Flow</label><select id="flow"></select></div>
            <fieldset class="field">
              <legend>Scopes</legend>
              <div id="scopes" class="checks"></div>
            </fieldset>
            <div class="field">
              <label for="prompt">Prompt</label>
              <select id="prompt">
                <option value="" selected>(default)</option>
                <option value="login">login</option>
                <option value="none">none</option>
              </select>
            </div>
            <div class="field"><label for="login-hint">Login hint</label>
              <input id="login-hint" type="text" autocomplete="off" spellcheck="false" placeholder="username or email"></div>
            <p id="redirect-warning" class="notice warning" hidden></p>
            <div class="actions">
              <button id="sign-in" type="button" class="primary">Sign in</button>
              <button id="refresh" type="button" disabled>Refresh</button>
              <button id="sign-out" type="button" disabled>Sign out</button>
            </div>
          </section>
          <div class="results">
            <section id="result" class="card status" data-state="idle" aria-live="polite">
              <h2>Status</h2>
              <p id="status" class="status-text">Not signed in.</p>
              <p id="error" class="error-text"></p>
            </section>
            <section class="card" aria-labelledby="access-heading">
              <h2 id="access-heading">Access token</h2>
              <pre id="access-token" class="token"></pre>
              <div class="split">
                <div><h3>Header</h3><pre id="access-token-header"></pre></div>
                <div><h3>Claims</h3><pre id="access-token-claims"></pre></div>
              </div>
              <p class="check">Signature: <span id="access-token-signature" class="verdict"></span></p>
            </section>
            <section class="card" aria-labelledby="id-heading">
              <h2 id="id-heading">ID token</h2>
              <pre id="id-token" class="token"></pre>
              <div class="split">
                <div><h3>Header</h3><pre id="id-token-header"></pre></div>
                <div><h3>Claims</h3><pre id="id-token-claims"></pre></div>
              </div>
              <p class="check">Signature: <span id="id-token-signature" class="verdict"></span></p>
              <p class="check">Nonce: <span id="nonce-check" class="verdict"></span></p>
            </section>
            <section class="card" aria-labelledby="refresh-heading">
              <h2 id="refresh-heading">Refresh token</h2>
              <pre id="refresh-token" class="token"></pre>
            </section>
            <section class="card" aria-labelledby="userinfo-heading">
              <h2 id="userinfo-heading">Userinfo</h2>
              <pre id="userinfo"></pre>
            </section>
            <section class="card" aria-labelledby="response-heading">
              <h2 id="response-heading">Token response</h2>
              <pre id="token-response"></pre>
            </section>
            <section class="card" aria-labelledby="api-heading">
              <h2 id="api-heading">Call an API</h2>
              <div class="api-row">
                <div class="field grow">
                  <label for="api-url">URL</label>
                  <input id="api-url" type="text" autocomplete="off" spellcheck="false" placeholder="https://api.example.test/orders/1">
                </div>
                <div class="field">
                  <label for="api-method">Method</label>
                  <select id="api-method">
                    <option value="GET" selected>GET</option>
                    <option value="POST">POST</option>
                  </select>
                </div>
                <div class="field">
                  <label for="api-token">Token</label>
                  <select id="api-token">
                    <option value="access" selected>Access token</option>
                    <option value="id">ID token</option>
                  </select>
                </div>
              </div>
              <div class="actions">
                <button id="api-call" type="button" class="primary">Call</button>
              </div>
              <h3>Status</h3>
              <p id="api-status" class="mono"></p>
              <h3>Response</h3>
              <pre id="api-response"></pre>
            </section>
          </div>
        </main>
        </body>
        </html>
        """#
}
