// Places the menu sends the user to.

export const OLLAMA_DOWNLOAD_URL = 'https://ollama.com/download';

/** System Settings › General › Login Items (macOS 13+). */
export const LOGIN_ITEMS_SETTINGS_URL = 'x-apple.systempreferences:com.apple.LoginItems-Settings.extension';

export const APP_TITLE = 'LLM Cache Proxy';
