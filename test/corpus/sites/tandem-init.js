// Shared by the test sites: the Tandem snippet, configured from the query string
// (?server=http://127.0.0.1:PORT&mode=view|navigate|control&domains=a,b&presence=1&uniqueId=x), the
// way a site pastes it into its pages.
(function () {
  var params = new URLSearchParams(location.search);
  var server = params.get('server') || sessionStorage.getItem('test:server');
  sessionStorage.setItem('test:server', server);
  window.Tandem = window.Tandem || function () { (Tandem.q = Tandem.q || []).push(arguments); };
  var config = {
    siteKey: 'demo',
    identity: { name: 'Test Visitor' },
    masking: { selectors: ['.secret'] },
    allowedDomains: (params.get('domains') || '').split(',').filter(Boolean),
  };
  if (params.get('mode')) config.mode = params.get('mode');
  if (params.get('presence')) config.presence = true;
  if (params.get('uniqueId')) config.uniqueId = params.get('uniqueId');
  // What the site's server computes: HMAC-SHA256 of the unique id with the site's identity secret.
  if (params.get('signature')) config.identity.signature = params.get('signature');
  Tandem('init', config);
  var s = document.createElement('script');
  s.src = server + '/tandem.js';
  s.async = true;
  document.head.appendChild(s);
})();
