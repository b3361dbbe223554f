"""Common infrastructure that says nothing about a case (issue 8). Pure data and a rule.

Thousands of records carry a URL on ``t.me`` or ``www.instagram.com``, an address at
``gmail.com`` or a resolver such as ``8.8.8.8``: two subjects naming the same platform
have nothing in common that an officer needs to be told. Such a value is **not a
correlation term by itself** (:func:`is_common`): a record does not offer it, and the
store does not look it up. What is specific on the platform still is: the full URL
(``https://t.me/somechannel``), the account handle (``telegram:somechannel``), the full
e-mail address (``ivan@gmail.com``), a customer's own sub-domain on a hosting platform
(``phish.github.io``).

Two kinds of domain are listed:

- :data:`PLATFORMS`: a service that runs every name under it (``www.instagram.com``,
  ``m.vk.com``, ``docs.google.com``): the domain and all its sub-domains are common;
- :data:`SHARED_HOSTS`: a suffix under which customers get names of their own
  (``github.io``, ``herokuapp.com``, dynamic DNS, second-level registry suffixes such as
  ``com.kz``): the suffix is common, the names under it are the customers' and are not.

The list is code, not node configuration: every node must extract the same terms, and a
change takes effect for stored subjects with ``ozara correlate rebuild``. A value nobody
listed is bounded by the store's frequency cap (``store.correlations.TOO_COMMON``).
"""

from __future__ import annotations

from ozara.core.identifiers import IdentifierKind, ip, parent_domains

#: Services whose every sub-domain is their own: the domain and all names under it.
PLATFORMS = frozenset({
    # social networks and video
    "facebook.com", "fb.com", "instagram.com", "twitter.com", "x.com", "vk.com", "vk.ru",
    "vkontakte.ru", "ok.ru", "odnoklassniki.ru", "linkedin.com", "tiktok.com",
    "youtube.com", "youtu.be", "reddit.com", "pinterest.com", "snapchat.com", "twitch.tv",
    "rutube.ru", "dzen.ru",
    # messengers
    "t.me", "telegram.me", "telegram.org", "whatsapp.com", "whatsapp.net", "wa.me",
    "viber.com", "signal.org", "signal.me", "discord.com", "discord.gg", "skype.com",
    "icq.com", "icq.im",
    # mail providers (an address at one still correlates in full; the provider never)
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com",
    "gmx.com", "zoho.com", "tutanota.com", "mail.ru", "inbox.ru", "list.ru", "bk.ru",
    "yandex.ru", "yandex.kz", "yandex.by", "yandex.com", "ya.ru", "rambler.ru", "tut.by",
    "inbox.kz", "mail.kz", "ukr.net",
    # search engines, portals, operating-system vendors
    "google.com", "google.ru", "google.kz", "bing.com", "duckduckgo.com", "baidu.com",
    "microsoft.com", "apple.com", "wikipedia.org",
    # content delivery networks and the platforms' own static hosts
    "cloudflare.com", "cloudflare.net", "akamai.net", "akamaiedge.net", "akamaihd.net",
    "edgekey.net", "fastly.net", "gstatic.com", "googleapis.com", "jsdelivr.net",
    "unpkg.com",
    # file sharing, code hosting, paste sites (the path names what is shared)
    "github.com", "gitlab.com", "bitbucket.org", "dropbox.com", "mega.nz",
    "pastebin.com", "archive.org",
    # URL shorteners (the short link's path is the term)
    "bit.ly", "goo.gl", "t.co", "tinyurl.com", "ow.ly", "is.gd", "cutt.ly", "clck.ru",
    "vk.cc", "rebrand.ly", "tiny.cc", "rb.gy", "shorturl.at",
})  # fmt: skip

#: Suffixes under which customers own their names: the suffix is common, a name under it
#: (``phish.github.io``, ``bank-login.duckdns.org``, ``evil.com.kz``) is not.
SHARED_HOSTS = frozenset({
    # cloud and application hosting
    "amazonaws.com", "s3.amazonaws.com", "cloudfront.net", "azurewebsites.net",
    "azureedge.net", "cloudapp.net", "appspot.com", "googleusercontent.com",
    "herokuapp.com", "firebaseapp.com", "web.app", "netlify.app", "vercel.app",
    "pages.dev", "workers.dev", "r2.dev", "onrender.com", "glitch.me",
    # sites and blogs
    "github.io", "gitlab.io", "blogspot.com", "wordpress.com", "tumblr.com",
    "livejournal.com", "wixsite.com", "weebly.com", "tilda.ws", "ucoz.ru", "narod.ru",
    # tunnels and dynamic DNS
    "ngrok.io", "ngrok-free.app", "duckdns.org", "no-ip.org", "ddns.net",
    # second-level registry suffixes
    "com.kz", "org.kz", "net.kz", "gov.kz", "edu.kz", "com.ru", "net.ru", "org.ru",
    "pp.ru", "msk.ru", "spb.ru", "com.by", "gov.by", "com.am", "com.kg", "com.tj",
    "com.ua", "co.uk",
})  # fmt: skip

#: Public DNS resolvers: in every network log, of every case.
PUBLIC_RESOLVERS = frozenset(ip(a) for a in (
    "8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844",  # Google
    "1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001",  # Cloudflare
    "9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9",  # Quad9
    "208.67.222.222", "208.67.220.220", "2620:119:35::35", "2620:119:53::53",  # OpenDNS
    "77.88.8.8", "77.88.8.1", "2a02:6b8::feed:0ff", "2a02:6b8:0:1::feed:0ff",  # Yandex
    "94.140.14.14", "94.140.15.15",  # AdGuard
    "4.2.2.1", "4.2.2.2",  # Level 3
))  # fmt: skip

#: A domain, and a parent of one (``core.correlation.DOMAIN_PARENT``, which imports this).
_DOMAIN_KINDS = frozenset({IdentifierKind.DOMAIN.value, "domain_parent"})


def common_domain(name: str) -> bool:
    """Whether a domain (normal form) is common infrastructure: a listed platform or a
    name under one, or a listed shared-hosting suffix itself."""
    return name in SHARED_HOSTS or any(p in PLATFORMS for p in parent_domains(name))


def common_address(value: str) -> bool:
    """Whether an address (normal form) is a public resolver's."""
    return value in PUBLIC_RESOLVERS


def common_url(value: str) -> bool:
    """Whether a URL (normal form) names only a common host: nothing after the host but
    ``/`` (``https://t.me/``). ``https://t.me/somechannel`` is not common."""
    rest = value.split("://", 1)[-1]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    hostport, path = rest[:cut], rest[cut:]
    if path not in {"", "/"} or "@" in hostport:
        return False
    if hostport.startswith("["):
        host = hostport[1 : hostport.find("]")]
    else:
        host = hostport.partition(":")[0]
    try:
        return common_address(ip(host))
    except ValueError:
        return common_domain(host)


def is_common(kind: str, value: str) -> bool:
    """Whether a term (``core.correlation.Term`` kind and normal-form value) is common
    infrastructure and so no correlation term by itself. E-mail addresses, handles,
    telephones, wallets, ranges and files are never common: each names one holder."""
    if kind in _DOMAIN_KINDS:
        return common_domain(value)
    if kind == IdentifierKind.IP.value:
        return common_address(value)
    if kind == IdentifierKind.URL.value:
        return common_url(value)
    return False
