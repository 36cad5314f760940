#include "cli/interrupt_router.h"

namespace pictor::cli {

void InterruptRouter::fire() {
    std::lock_guard lock(mu_);
    if (target_) target_();
    else pending_ = true;
}

bool InterruptRouter::take_pending() {
    std::lock_guard lock(mu_);
    const bool was = pending_;
    pending_ = false;
    return was;
}

InterruptRouter::Scope::Scope(InterruptRouter& router, std::function<void()> target) : router_(router) {
    std::lock_guard lock(router_.mu_);
    router_.target_ = std::move(target);
    router_.pending_ = false;
}

InterruptRouter::Scope::~Scope() {
    std::lock_guard lock(router_.mu_);
    router_.target_ = nullptr;
}

}  // namespace pictor::cli
