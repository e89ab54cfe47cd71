import Mustache

/// The server-rendered pages (login, error, signed out, form_post), as Mustache templates compiled once.
///
/// `{{value}}` is HTML-escaped by swift-mustache; no template uses the raw `{{{…}}}` form with request data.
enum HTMLTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates = [
            "head": head, "login": login, "error": error, "signedOut": signedOut, "formPost": formPost, "logoutConfirm": logoutConfirm,
            "playground": PlaygroundAssets.pageTemplate,
        ]
        for (name, text) in templates {
            // The templates are constants checked by the tests; a parse error is a programming error.
            try! library.register(text, named: name)
        }
        return library
    }()

    /// Renders template `name` with `context` (a dictionary of strings, booleans and lists of dictionaries).
    static func render(_ name: String, _ context: [String: Any]) -> String {
        self.library.render(context, withTemplate: name) ?? ""
    }

    static let head = """
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <link rel="stylesheet" href="{{assetBase}}/assets/understudy.css">
        """

    static let login = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>Sign in · {{clientName}} · Understudy</title>
        </head>
        <body class="centered">
        <main class="card narrow">
          <p class="brand">Understudy</p>
          <h1>Sign in</h1>
          <p class="muted">to continue to <strong id="client-name">{{clientName}}</strong></p>
          {{#error}}<p id="login-error" class="alert error" role="alert">{{error}}</p>{{/error}}
          <form id="login-form" method="post" action="{{assetBase}}/login">
            {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">
            {{/hidden}}<input type="hidden" name="csrf" value="{{csrf}}">
            <div class="field">
              <label for="username">Username</label>
              <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" value="{{username}}" required{{^username}} autofocus{{/username}}>
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required{{#username}} autofocus{{/username}}>
            </div>
            <div class="actions">
              <button id="login-submit" class="button primary" type="submit" name="action" value="login">Sign in</button>
              {{#denyButton}}<button id="login-deny" class="button secondary" type="submit" name="action" value="deny" formnovalidate>Deny</button>{{/denyButton}}
            </div>
            {{#hasPicker}}
            <section class="picker" aria-labelledby="picker-title">
              <h2 id="picker-title">Test users</h2>
              <p class="muted">One click signs in without a password.</p>
              <ul>
                {{#users}}<li><button class="pick-user" type="submit" name="pick" value="{{username}}" data-username="{{username}}" formnovalidate>
                  <span class="pick-name">{{username}}</span>{{#displayName}} <span class="muted">{{displayName}}</span>{{/displayName}}
                  {{#groups}}<span class="tag">{{.}}</span>{{/groups}}
                </button></li>
                {{/users}}
              </ul>
            </section>
            {{/hasPicker}}
          </form>
        </main>
        </body>
        </html>
        """

    static let error = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>{{title}} · Understudy</title>
        </head>
        <body class="centered">
        <main id="error-page" class="card narrow">
          <p class="brand">Understudy</p>
          <h1 id="error-title">{{title}}</h1>
          <p id="error-message" class="alert error">{{message}}</p>
          <p class="muted">Status {{status}}. The application's request was not redirected back, because its client or redirect URI could not be trusted.</p>
        </main>
        </body>
        </html>
        """

    static let signedOut = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>Signed out · Understudy</title>
        </head>
        <body class="centered">
        <main id="signed-out" class="card narrow">
          <p class="brand">Understudy</p>
          <h1>You are signed out</h1>
          <p class="muted">Your Understudy session has ended.</p>
          <p><a class="button secondary" href="{{assetBase}}/playground">Open the playground</a></p>
        </main>
        </body>
        </html>
        """

    /// RP-Initiated Logout 1.0 §2: the question asked when the request does not prove who is signing out.
    static let logoutConfirm = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>Sign out? · Understudy</title>
        </head>
        <body class="centered">
        <main id="logout-confirmation" class="card narrow">
          <p class="brand">Understudy</p>
          <h1>Sign out?</h1>
          <p class="muted">An application asked to end your Understudy session. Close this page to stay signed in.</p>
          <form id="logout-form" method="post" action="{{assetBase}}/logout">
            {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">
            {{/hidden}}<input type="hidden" name="csrf" value="{{csrf}}">
            <div class="actions">
              <button id="logout-confirm" class="button primary" type="submit" name="confirm" value="yes">Sign out</button>
            </div>
          </form>
        </main>
        </body>
        </html>
        """

    /// OAuth 2.0 Form Post Response Mode §2: an auto-submitting form; the script runs by CSP nonce.
    static let formPost = """
        <!doctype html>
        <html lang="en">
        <head>
        {{> head}}
        <title>Returning to the application · Understudy</title>
        </head>
        <body class="centered">
        <main class="card narrow">
          <form id="form-post" method="post" action="{{action}}">
            {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">
            {{/fields}}<noscript><p>JavaScript is off: press Continue to return to the application.</p>
            <button class="button primary" type="submit">Continue</button></noscript>
          </form>
        </main>
        <script nonce="{{nonce}}">document.getElementById("form-post").submit();</script>
        </body>
        </html>
        """
}
