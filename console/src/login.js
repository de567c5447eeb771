// Login: user name and password (or the user `token` with the bearer token); the server sets the session
// cookie (HttpOnly) and answers the CSRF token. Too many attempts are answered 429 with the wait.
import {api} from './api.js';
import {h, message, clear} from './dom.js';

export function mount(root, info, _arg, refresh) {
  const status = h('div', {id: 'login-status', class: 'status'});
  const user = h('input', {name: 'user', id: 'login-user', autocomplete: 'username', required: true});
  const password = h('input', {name: 'password', id: 'login-password', type: 'password', autocomplete: 'current-password'});
  const submit = h('button', {class: 'primary', id: 'login-submit', type: 'submit'}, 'Log in');
  const form = h('form', {class: 'login card', id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      await api('/api/login', {method: 'POST', body: {user: user.value.trim(), password: password.value}});
      password.value = '';
      await refresh();
      location.hash = '#/collect';
    } catch (e) {
      const text = e.kind === 'bad_credentials' ? 'Wrong user name or password.' : e.message;
      clear(status).appendChild(message('error', text));
    } finally {
      submit.disabled = false;
    }
  }},
  h('h2', {}, 'Log in'),
  !info.login_enabled ? message('info', 'This console has no users (start it with --users-file or --auth-token-file).') : null,
  info.user ? message('info', `Logged in as ${info.user} (${info.role}).`) : null,
  h('label', {}, 'User ', user), h('label', {}, 'Password ', password), submit, status);
  root.appendChild(form);
  user.focus();
  return () => {};
}
