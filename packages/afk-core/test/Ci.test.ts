import { describe, expect, it } from "@effect/vitest"
import { fold } from "../src/Ci.js"
import { Check } from "../src/Domain.js"

const check = (name: string, state: Check["state"]) => new Check({ name, state })
const none = { required: [], deploy: [] }

describe("Ci.fold", () => {
  it("with no requirements every reported check decides", () => {
    expect(fold([], none).state).toBe("none")
    expect(fold([check("build", "success"), check("test", "success")], none).state).toBe("green")
    expect(fold([check("build", "success"), check("test", "pending")], none).state).toBe("pending")
    expect(fold([check("build", "failure"), check("test", "pending")], none).state).toBe("red")
  })

  it("the latest report of a check wins", () => {
    expect(fold([check("test", "failure"), check("test", "success")], none).state).toBe("green")
  })

  it("required patterns: only matching checks decide, and a required check not reported yet is pending", () => {
    const required = { required: ["ci/*"], deploy: [] }
    expect(fold([check("ci/build", "success"), check("lint", "failure")], required).state).toBe("green")
    expect(fold([check("lint", "success")], required).state).toBe("pending")
    expect(fold([check("ci/build", "failure")], required).state).toBe("red")
  })

  it("deploy patterns: green waits for the deployment, a failed deployment is red", () => {
    const deploy = { required: [], deploy: ["deploy/production"] }
    const built = [check("build", "success")]
    expect(fold(built, deploy)).toMatchObject({ state: "pending", deployed: false })
    expect(fold([...built, check("deploy/production", "pending")], deploy).state).toBe("pending")
    expect(fold([...built, check("deploy/production", "success")], deploy)).toMatchObject({
      state: "green",
      deployed: true
    })
    expect(fold([...built, check("deploy/production", "failure")], deploy).state).toBe("red")
    const both = { required: ["build"], deploy: ["deploy/*"] }
    expect(fold([...built, check("deploy/staging", "failure")], both).state).toBe("red")
    expect(fold(built, both).state).toBe("pending")
  })
})
