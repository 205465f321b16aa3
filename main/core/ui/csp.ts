// The page's Content-Security-Policy, one string for the <meta> tag in
// renderer/index.html (a test checks they agree), the headless proxy's
// response header and the app's session header. Everything comes from the
// page's own origin: no inline script or style, no third party, no framing.
export const RENDERER_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** As a header it can also forbid framing, which a <meta> policy cannot. */
export const RENDERER_CSP_HEADER = `${RENDERER_CSP}; frame-ancestors 'none'`;
