// Deep linking's answer goes back to the platform as a form POST (LTI requires it): send it at
// once; the button stays for browsers that block it.
const form = document.querySelector("form[data-lti-autosubmit]");
if (form) form.submit();
