/** Kubernetes names typed by people are checked before any API call. */
export const DNS1123_LABEL = {
  regex: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  explain: 'must be a Kubernetes name: lowercase letters, digits and dashes, at most 63 characters',
};

export const DNS1123_SUBDOMAIN = {
  regex: /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  explain: 'must be a Kubernetes name: lowercase letters, digits, dashes and dots',
};
