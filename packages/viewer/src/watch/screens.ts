/**
 * The watch page's screens besides the session itself: the code box, signing
 * in (inside a desktop's frame, where the console's cookie does not reach),
 * waiting for the visitor to accept, and one clear page per way a watch link
 * or a session can fail, with the integrator's retry link when it gave one.
 * Plain DOM: this page carries no framework.
 */

/** Each failure the page can show, by the server's error code: a title and what to do. */
const FAILURES: Record<string, { title: string; text: string }> = {
  TDM_LINK_SPENT: { title: 'This link was already used', text: 'A watch link opens the session once. Ask for a new link.' },
  TDM_LINK_EXPIRED: { title: 'This link has expired', text: 'Watch links work for a few minutes. Ask for a new link.' },
  TDM_VISITOR_GONE: { title: 'The visitor has left', text: 'They are no longer on the site, so there is nothing to show.' },
  TDM_CONSENT_DECLINED: { title: 'The visitor declined', text: 'They chose not to share their screen.' },
  TDM_NO_ANSWER: { title: 'No answer from the visitor', text: 'They did not answer the request to share in time.' },
  TDM_SESSION_ENDED: { title: 'The session has ended', text: 'There is nothing more to show.' },
  TDM_UNKNOWN_CODE: { title: 'No session has this code', text: 'Check the digits with the visitor.' },
  TDM_UNAUTHORIZED: { title: 'This link is not valid', text: 'It may have been cut short when it was copied. Ask for a new link.' },
  TDM_FORBIDDEN: { title: 'Not allowed', text: 'This account may not open that session.' },
};

export class Screens {
  constructor(private readonly root: HTMLElement) {}

  hide(): void {
    this.root.hidden = true;
    this.root.replaceChildren();
    delete this.root.dataset.screen;
  }

  codeBox(onCode: (code: string) => void, error?: string): void {
    const input = field('Session code', 'text', 'one-time-code');
    input.inputMode = 'numeric';
    input.pattern = '[0-9 ]*';
    input.maxLength = 20;
    this.form('code', 'Join a session', 'Type the code the visitor reads out.', [input], 'Join', error, () => {
      const code = input.value.replace(/\D/g, '');
      if (code) onCode(code);
    });
  }

  signIn(onSignIn: (email: string, password: string) => void, error?: string): void {
    const email = field('Email', 'email', 'username');
    const password = field('Password', 'password', 'current-password');
    this.form(
      'sign-in',
      'Sign in to Tandem',
      'Sign in with your agent account to see the visitor’s page.',
      [email, password],
      'Sign in',
      error,
      () => onSignIn(email.value.trim(), password.value),
    );
  }

  waiting(title: string, text: string): void {
    this.show('waiting', [heading(title), paragraph(text)]);
  }

  /** The page for a failure, by error code (an unknown one gets the server's own sentence). */
  failure(code: string, message: string, retryUrl: string | null): void {
    const known = FAILURES[code];
    const parts: HTMLElement[] = [heading(known?.title ?? 'This session is not available'), paragraph(known?.text ?? message)];
    if (retryUrl && /^https?:\/\//i.test(retryUrl)) {
      const a = document.createElement('a');
      a.href = retryUrl;
      a.target = '_top';
      a.rel = 'noopener';
      a.className = 'retry';
      a.textContent = 'Try again';
      parts.push(a);
    }
    this.show(`failed:${code}`, parts);
  }

  private form(
    name: string,
    title: string,
    text: string,
    inputs: HTMLInputElement[],
    label: string,
    error: string | undefined,
    submit: () => void,
  ): void {
    const form = document.createElement('form');
    form.noValidate = true;
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = label;
    const parts: HTMLElement[] = [heading(title), paragraph(text)];
    if (error) {
      const p = paragraph(error);
      p.className = 'error';
      p.setAttribute('role', 'alert');
      parts.push(p);
    }
    form.append(...parts, ...inputs.map((i) => i.parentElement!), button);
    form.addEventListener('submit', (e) => {
      // Handled here: the page's policy forbids a form from navigating anywhere.
      e.preventDefault();
      submit();
    });
    this.show(name, [form]);
    inputs[0]?.focus();
  }

  private show(name: string, parts: HTMLElement[]): void {
    const card = document.createElement('div');
    card.className = 'card';
    card.append(...parts);
    this.root.replaceChildren(card);
    this.root.dataset.screen = name;
    this.root.hidden = false;
  }
}

function field(label: string, type: string, autocomplete: string): HTMLInputElement {
  const wrap = document.createElement('label');
  const span = document.createElement('span');
  span.textContent = label;
  const input = document.createElement('input');
  input.type = type;
  input.autocomplete = autocomplete as AutoFill;
  input.required = true;
  wrap.append(span, input);
  return input;
}

function heading(text: string): HTMLElement {
  const h = document.createElement('h1');
  h.textContent = text;
  return h;
}

function paragraph(text: string): HTMLElement {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}
