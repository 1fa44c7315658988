/** The key under which the plugin hands resolved options to the workers (`provide`/`inject`). */
export const OPTIONS_KEY = '@leakproof/options'
