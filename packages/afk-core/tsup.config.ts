import { library } from "../../tsup.library.js"

export default library({
  testing: "src/testing/index.ts",
  conformance: "src/testing/TrackerConformance.ts",
  "pull-requests-conformance": "src/testing/PullRequestsConformance.ts"
})
