"""AdamW with the bias corrections folded into the step size and eps, as in the Adam paper's efficient form.

lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps * sqrt(1 - beta2^t)) is the same update, written the way Algorithm 1's note suggests."""

TASK = "5.6"
KIND = "alternative"


class AdamW:
    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Apply one AdamW update to every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state.update(step=0, exp_avg=torch.zeros_like(param), exp_avg_sq=torch.zeros_like(param))
                state["step"] += 1
                root_correction = math.sqrt(1.0 - beta2 ** state["step"])
                step_size = lr * root_correction / (1.0 - beta1 ** state["step"])
                param.add_(param, alpha=-lr * weight_decay)
                state["exp_avg"].lerp_(param.grad, 1.0 - beta1)
                state["exp_avg_sq"].mul_(beta2).add_(param.grad.square(), alpha=1.0 - beta2)
                denominator = state["exp_avg_sq"].sqrt().add_(eps * root_correction)
                param.addcdiv_(state["exp_avg"], denominator, value=-step_size)
        return loss
