extension PlaygroundAssets {
    /// The style sheet of every HTML page (login, error, signed-out, playground), served at `<assetBase>/assets/understudy.css`.
    ///
    /// Classes for the other pages: `centered` (body), `card`, `narrow`, `brand`, `field`, `actions`, `button`, `primary`, `secondary`,
    /// `alert`/`notice` (with `error` or `warning`), `muted`, `picker`, `pick-user`, `pick-name`, `tag`; bare elements are styled too.
    static let styleSheet = #"""
        /* Understudy: the style sheet of every HTML page (login, error, signed-out, playground). No external assets. */
        :root {
          color-scheme: light dark;
          --bg: #f4f5f8; --surface: #ffffff; --text: #1c2230; --muted: #5d6678; --border: #d8dce4; --code-bg: #f0f2f6;
          --accent: #3451c6; --accent-text: #ffffff; --ok: #23803a; --danger: #c02b2b; --danger-bg: #fdeeee;
          --warn: #9a5200; --warn-bg: #fff5e3; --radius: 10px;
          --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #14171d; --surface: #1c2029; --text: #e4e7ee; --muted: #9aa3b5; --border: #323846; --code-bg: #242936;
            --accent: #7b93f2; --accent-text: #10131a; --ok: #5cc477; --danger: #f07a7a; --danger-bg: #3a1f23;
            --warn: #f0b35a; --warn-bg: #3a2e1a;
          }
        }
        *, *::before, *::after { box-sizing: border-box; }
        [hidden] { display: none !important; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 var(--sans); }
        a { color: var(--accent); }
        h1, h2, h3 { line-height: 1.25; }
        code, pre, .mono { font-family: var(--mono); font-size: 0.875rem; }
        .muted { color: var(--muted); }

        /* Page frame */
        .site-header { padding: 1.1rem clamp(1rem, 4vw, 2.5rem); background: var(--surface); border-bottom: 1px solid var(--border); }
        .site-header h1 { margin: 0; font-size: 1.4rem; }
        .site-header p { margin: 0.2rem 0 0; color: var(--muted); overflow-wrap: anywhere; }
        main { max-width: 76rem; margin: 0 auto; padding: 1.5rem clamp(1rem, 4vw, 2.5rem) 3rem; }
        main.narrow, .narrow { max-width: 28rem; }
        .card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1.25rem 1.5rem;
          box-shadow: 0 1px 2px rgb(0 0 0 / 6%); min-width: 0; }
        .card + .card { margin-top: 1rem; }
        .card h2 { margin: 0 0 0.75rem; font-size: 1.125rem; }
        .card h3 { margin: 1rem 0 0.35rem; color: var(--muted); font-size: 0.75rem; letter-spacing: 0.06em; text-transform: uppercase; }
        .card > p:last-child { margin-bottom: 0; }

        /* Forms */
        label, legend { display: block; margin-bottom: 0.3rem; font-weight: 600; }
        fieldset { min-width: 0; margin: 0; padding: 0; border: 0; }
        .field { margin: 0 0 1rem; }
        input[type="text"], input[type="password"], input[type="email"], input[type="url"], select, textarea {
          width: 100%; padding: 0.5rem 0.65rem; border: 1px solid var(--border); border-radius: 6px;
          background: var(--surface); color: var(--text); font: inherit;
        }
        input:focus-visible, select:focus-visible, textarea:focus-visible, button:focus-visible, .button:focus-visible, a:focus-visible {
          outline: 2px solid var(--accent); outline-offset: 2px;
        }
        .checks { display: flex; flex-direction: column; gap: 0.15rem; }
        .checks label { display: flex; align-items: center; gap: 0.45rem; margin: 0; font: 400 0.875rem/1.5 var(--mono); }
        button, .button { display: inline-block; padding: 0.5rem 1rem; border: 1px solid var(--border); border-radius: 6px;
          background: var(--surface); color: var(--text); font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
        button:hover:not(:disabled), .button:hover { border-color: var(--accent); }
        button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
        button:disabled { opacity: 0.5; cursor: not-allowed; }
        .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 1rem; }
        .notice, .alert { margin: 0 0 1rem; padding: 0.65rem 0.85rem; border-radius: 6px; background: var(--code-bg); font-size: 0.9rem;
          overflow-wrap: anywhere; }
        .notice.warning, .alert.warning { background: var(--warn-bg); color: var(--warn); }
        .notice.error, .alert.error, .error { background: var(--danger-bg); color: var(--danger); }

        /* Centred pages: login, error, signed out, form_post */
        body.centered { display: flex; min-height: 100vh; align-items: center; justify-content: center; padding: 1.5rem 1rem; }
        body.centered > main { width: 100%; margin: 0; }
        .brand { margin: 0 0 0.5rem; color: var(--accent); font-size: 0.8rem; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; }
        .card h1 { margin: 0 0 0.35rem; font-size: 1.5rem; }
        .picker { margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--border); }
        .picker h2 { margin: 0 0 0.25rem; font-size: 1rem; }
        .picker ul { display: grid; gap: 0.5rem; margin: 0.75rem 0 0; padding: 0; list-style: none; }
        .pick-user { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.5rem; width: 100%; font-weight: 400; text-align: left; }
        .pick-name { font-weight: 600; }
        .tag { padding: 0.05rem 0.45rem; border-radius: 999px; background: var(--code-bg); color: var(--muted); font: 0.75rem/1.5 var(--mono); }

        /* Code and tokens */
        pre { margin: 0; padding: 0.75rem; max-height: 28rem; overflow: auto; border-radius: 6px; background: var(--code-bg);
          white-space: pre-wrap; overflow-wrap: anywhere; }
        pre.token { word-break: break-all; }
        pre:empty::before { content: "—"; color: var(--muted); }
        table { width: 100%; border-collapse: collapse; }
        th, td { padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }

        /* Playground */
        .playground { display: grid; grid-template-columns: minmax(16rem, 22rem) minmax(0, 1fr); gap: 1.25rem; align-items: start; }
        .playground .settings { position: sticky; top: 1rem; }
        .results { display: grid; gap: 1rem; min-width: 0; }
        .results .card + .card { margin-top: 0; }
        .split { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 0 1rem; }
        .api-row { display: flex; flex-wrap: wrap; gap: 0 0.75rem; }
        .api-row .field { flex: 0 1 9rem; }
        .api-row .field.grow { flex: 1 1 18rem; }
        .status { border-left: 4px solid var(--border); }
        .status[data-state="working"] { border-left-color: var(--accent); }
        .status[data-state="signed-in"] { border-left-color: var(--ok); }
        .status[data-state="error"] { border-left-color: var(--danger); }
        .status-text { margin: 0; }
        .error-text { margin: 0.5rem 0 0; color: var(--danger); font-family: var(--mono); overflow-wrap: anywhere; }
        .error-text:empty { display: none; }
        .check { margin: 0.75rem 0 0; }
        .verdict { font-family: var(--mono); font-weight: 600; overflow-wrap: anywhere; }
        .verdict[data-verdict="valid"], .verdict[data-verdict="matches"] { color: var(--ok); }
        .verdict[data-verdict="invalid"], .verdict[data-verdict="mismatch"] { color: var(--danger); }
        .verdict[data-verdict="unavailable"], .verdict[data-verdict="absent"] { color: var(--warn); }
        @media (max-width: 48rem) {
          .playground { grid-template-columns: minmax(0, 1fr); }
          .playground .settings { position: static; }
        }
        """#
}
