// memlab (a dev-only cross-check in bench/) depends on puppeteer, whose install script would
// download Chrome. Nothing here drives a browser, and CI has only the npm registry: skip it.
// Puppeteer reads this file from the project root; PUPPETEER_SKIP_DOWNLOAD=true does the same.
module.exports = { skipDownload: true }
