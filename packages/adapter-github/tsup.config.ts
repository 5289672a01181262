import { library } from "../../tsup.library.js"

export default library({ testing: "src/testing/index.ts" }, [/^effect/, /^@effect\//, /^afk-core/])
