// Live progress of running tasks: one EventSource per task on /dashboard/tasks/<id>/events.
document.querySelectorAll(".task[data-task]").forEach((box) => {
  const source = new EventSource(`/dashboard/tasks/${box.dataset.task}/events`);
  source.addEventListener("progress", (event) => {
    const p = JSON.parse(event.data);
    box.querySelector("progress").value = p.percent;
    box.querySelector(".percent").textContent = `${p.percent}%`;
    box.querySelector(".stage").textContent = p.stage || "";
    box.querySelector(".message").textContent = p.message || "";
    box.querySelector(".status").textContent = p.status;
    box.dataset.status = p.status;
  });
  source.addEventListener("end", () => source.close());
  source.onerror = () => { if (box.dataset.status && box.dataset.status !== "running") source.close(); };
});
