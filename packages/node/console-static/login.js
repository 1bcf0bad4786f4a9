// Shows the refusal after a failed login (the server redirects back with ?failed=1).
if (new URLSearchParams(location.search).has('failed')) {
  document.getElementById('login-error').hidden = false;
  document.getElementById('token').setAttribute('aria-describedby', 'login-error');
}
