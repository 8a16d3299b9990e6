#pragma once
// The dashboard's one page, its script and its style, compiled into ppcsd (no CDN, no network:
// the page loads only these, under Content-Security-Policy default-src 'self'). The script puts
// every value from ppcsd into the page as text (textContent), never as markup.

namespace ppcs::api {

extern const char* const kDashboardHtml;
extern const char* const kDashboardScript;
extern const char* const kDashboardStyle;

}  // namespace ppcs::api
